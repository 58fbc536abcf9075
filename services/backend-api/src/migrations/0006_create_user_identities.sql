-- Who a user is at an OpenID provider: (issuer, subject) is the identity, matched at every
-- sign-in; email is never the key (providers let people change it, and anyone can claim one).
-- Such users sign in only there, so they have no password.
create table user_identities (
  issuer     text not null,
  subject    text not null,
  user_id    uuid not null references users (id),
  created_at timestamptz not null default clock_timestamp(),
  primary key (issuer, subject)
);
create index user_identities_user_id on user_identities (user_id);

alter table users alter column password_hash drop not null;
