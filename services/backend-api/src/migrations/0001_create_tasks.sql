-- Tasks, with one index per sort order the API offers (each ending in id, the keyset
-- tie-breaker) and trigram search over title and description.
create extension if not exists pg_trgm;

create type task_status as enum ('todo', 'in_progress', 'done');
-- Declared in rank order, so that sorting by priority sorts low < medium < high.
create type task_priority as enum ('low', 'medium', 'high');

create table tasks (
  id          uuid primary key default gen_random_uuid(),
  title       text not null check (char_length(title) between 1 and 200),
  description text not null default '' check (char_length(description) <= 10000),
  status      task_status not null default 'todo',
  priority    task_priority not null default 'medium',
  due_date    date,
  tags        text[] not null default '{}' check (cardinality(tags) <= 20),
  -- clock_timestamp, not now(): rows created in one transaction still get distinct, ordered times.
  created_at  timestamptz not null default clock_timestamp(),
  updated_at  timestamptz not null default clock_timestamp(),
  version     integer not null default 1
);

create index tasks_created_at_id on tasks (created_at, id);
create index tasks_updated_at_id on tasks (updated_at, id);
-- Tasks without a due date sort as if due at infinity: after every dated task when ascending.
create index tasks_due_date_id on tasks ((coalesce(due_date, 'infinity'::date)), id);
create index tasks_priority_id on tasks (priority, id);
create index tasks_title_id on tasks (lower(title), id);
create index tasks_tags on tasks using gin (tags);
create index tasks_search on tasks using gin ((title || ' ' || description) gin_trgm_ops);
create index tasks_open_due_date on tasks (due_date) where status <> 'done';
