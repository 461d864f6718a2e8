/** REST bodies of sign-up control, invites, the account's e-mail address and passwords. */
import { Type, type Static } from 'typebox';
import { Id, Nullable, Timestamp } from './entities.js';
import { ListQuery, Password } from './rest.js';

const strict = { additionalProperties: false } as const;

export const EMAIL_MAX_LENGTH = 254;
/** An e-mail address; the server checks its form further (one @, no spaces or control characters). */
export const Email = Type.String({ minLength: 3, maxLength: EMAIL_MAX_LENGTH, description: 'An e-mail address, unique case-insensitively' });
/** Invite and reset codes are 32 base64url characters; the limit only bounds the input. */
export const Code = Type.String({ minLength: 1, maxLength: 128 });

export const SignupMode = Type.Union([Type.Literal('open'), Type.Literal('invite'), Type.Literal('domain')]);

/** GET /auth/options: what the sign-in and sign-up forms should offer. */
export const AuthOptions = Type.Object({
  signupMode: SignupMode,
  /** A reset link can be e-mailed (an SMTP server is configured). */
  passwordReset: Type.Boolean(),
  /** Sign-in with an OpenID Connect provider, when one is configured. */
  oidc: Nullable(Type.Object({ name: Type.String(), startUrl: Type.String() })),
});
export type AuthOptions = Static<typeof AuthOptions>;

export { Me } from './entities.js';

export const Invite = Type.Object({
  id: Id,
  expiresAt: Nullable(Timestamp),
  maxUses: Nullable(Type.Integer()),
  uses: Type.Integer(),
  createdAt: Timestamp,
  createdBy: Nullable(Id),
  revokedAt: Nullable(Timestamp),
});
export type Invite = Static<typeof Invite>;
export const CreatedInvite = Type.Object({
  ...Invite.properties,
  code: Type.String({ description: 'Shown once' }),
  url: Type.String({ description: 'The sign-up link to hand out' }),
});
export const InviteList = Type.Object({ invites: Type.Array(Invite), nextCursor: Nullable(Type.String()) });
export const CreateInviteBody = Type.Object(
  {
    expiresInHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 8760, description: 'Default 168 (a week)' })),
    maxUses: Type.Optional(Nullable(Type.Integer({ minimum: 1, maximum: 1000, description: 'null or absent: unlimited' }))),
  },
  strict,
);
export const InviteListQuery = Type.Object(ListQuery, strict);
export const CodeParams = Type.Object({ code: Code });
export const InviteCheck = Type.Object({ valid: Type.Literal(true), expiresAt: Nullable(Timestamp) });

export const ChangeEmailBody = Type.Object({ email: Email, password: Type.String({ minLength: 1, maxLength: 256 }) }, strict);
export const ChangePasswordBody = Type.Object({ currentPassword: Type.String({ minLength: 1, maxLength: 256 }), newPassword: Password }, strict);
export const PasswordResetBody = Type.Object(
  { login: Type.String({ minLength: 1, maxLength: EMAIL_MAX_LENGTH, description: 'A username or an e-mail address' }) },
  strict,
);
export const PasswordResetConfirmBody = Type.Object({ code: Code, newPassword: Password }, strict);
