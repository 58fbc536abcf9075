-- People, their credentials, sign-in failures, and who created, is assigned and changed each task.
-- Users are never deleted (deactivated instead), so history and tasks can always name them.
create type user_role as enum ('viewer', 'member', 'admin');

create table users (
  id                   uuid primary key default gen_random_uuid(),
  email                text not null,
  display_name         text not null,
  role                 user_role not null,
  active               boolean not null default true,
  password_hash        text not null,
  must_change_password boolean not null default false,
  created_at           timestamptz not null default clock_timestamp(),
  updated_at           timestamptz not null default clock_timestamp()
);
create unique index users_email on users (lower(email));

-- Sessions (UI, idle timeout), login tokens (POST /api/login) and personal access tokens: each
-- stored only as the SHA-256 of the token. Revoking one deletes its row.
create type credential_kind as enum ('session', 'login', 'personal');
create table credentials (
  id           uuid primary key default gen_random_uuid(),
  user_id      uuid not null references users (id),
  kind         credential_kind not null,
  token_hash   bytea not null unique,
  name         text,
  created_at   timestamptz not null default clock_timestamp(),
  expires_at   timestamptz,
  idle_timeout interval,
  last_used_at timestamptz
);
create index credentials_user_id on credentials (user_id);

-- One row per failed sign-in for the account (lower-cased email, known or not) and one for the
-- client address, so every replica counts the same failures.
create table sign_in_failures (
  scope text not null,
  at    timestamptz not null default clock_timestamp()
);
create index sign_in_failures_scope_at on sign_in_failures (scope, at);

-- Tasks from before accounts keep created_by null: nobody knows who made them.
alter table tasks
  add column created_by uuid references users (id),
  add column assignee_id uuid references users (id);
create index tasks_assignee_id on tasks (assignee_id);
create index tasks_created_by on tasks (created_by);

-- History outlives the task (no foreign key to tasks): a deleted task's history still reads.
create table task_activity (
  id       bigint generated always as identity primary key,
  task_id  uuid not null,
  actor_id uuid references users (id),
  action   text not null check (action in ('create', 'update', 'delete')),
  at       timestamptz not null default clock_timestamp(),
  changes  jsonb not null
);
create index task_activity_task_id on task_activity (task_id, id);

-- The fields history records, under their API names.
create function task_activity_fields(t tasks) returns jsonb language sql immutable as $$
  select jsonb_build_object('title', t.title, 'description', t.description, 'status', t.status, 'priority', t.priority,
                            'dueDate', t.due_date, 'tags', to_jsonb(t.tags), 'assigneeId', t.assignee_id)
$$;

-- A row trigger, so every write (one task or a bulk of 500) records one entry per task in its own
-- transaction; the actor is the transaction's setting task_manager.actor (queries.ts sets it).
create function record_task_activity() returns trigger language plpgsql as $$
declare
  actor uuid := nullif(current_setting('task_manager.actor', true), '')::uuid;
  before jsonb := case when tg_op <> 'INSERT' then task_activity_fields(old) end;
  after jsonb := case when tg_op <> 'DELETE' then task_activity_fields(new) end;
  changed jsonb;
begin
  select coalesce(jsonb_object_agg(key, jsonb_build_object('old', coalesce(before -> key, 'null'), 'new', coalesce(after -> key, 'null'))), '{}')
    into changed
    from jsonb_object_keys(coalesce(after, before)) as key
    where before -> key is distinct from after -> key;
  insert into task_activity (task_id, actor_id, action, changes)
  values (coalesce(new.id, old.id), actor, case tg_op when 'INSERT' then 'create' when 'UPDATE' then 'update' else 'delete' end, changed);
  return null;
end
$$;
create trigger tasks_activity after insert or update or delete on tasks
  for each row execute function record_task_activity();

-- Idempotency keys belong to a user: one user's key never replays another's answer. Keys stored
-- before accounts have no owner and so match nobody.
alter table idempotency_keys drop constraint idempotency_keys_pkey;
alter table idempotency_keys add column owner_id uuid references users (id);
create unique index idempotency_keys_owner_key on idempotency_keys (owner_id, key);
