-- A group's history visibility (CONTRACT.md, decisions of 2026-12-04): 'all' (the default: a member
-- added later, or one who rejoins, reads the whole history) or 'joined' (members read from their
-- own member.joined on). Additive: the previous release ignores it, and its nodes show every
-- group's whole history as before during a rolling upgrade.
ALTER TABLE "conversations" ADD COLUMN "history_visibility" text DEFAULT 'all' NOT NULL;--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_history_visibility_check" CHECK ("conversations"."history_visibility" IN ('all', 'joined'));
