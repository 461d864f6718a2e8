-- Languages (issue 21): the language a person chose for the web client, e-mails and pushes ('en' or
-- 'zh-CN'); null while none is chosen. Additive: the previous release ignores it.
ALTER TABLE "users" ADD COLUMN "locale" text;
