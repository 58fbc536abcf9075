-- Users made by a provider keep their rows (tasks and history name them) but are deactivated:
-- without their provider they have no way to sign in, and the empty hash matches no password.
update users set password_hash = '', active = false where password_hash is null;
alter table users alter column password_hash set not null;
drop table user_identities;
