-- Counts that /api/stats sums instead of scanning tasks, kept by triggers in the same transaction
-- as every write to tasks (so a count is exactly as committed as the rows it counts).
--
-- Each count is split over slots: with one row per count, every write would hold its row's lock
-- until commit, and writers would take turns. Readers sum the slots.
create table task_counts (
  status   task_status not null,
  priority task_priority not null,
  slot     smallint not null,
  tasks    bigint not null,
  primary key (status, priority, slot)
);

-- Tasks not done, by due date: overdue is the sum of the days before today, so it moves as days
-- pass without any write, at a cost bounded by the number of distinct due dates, not of tasks.
create table task_open_due_counts (
  due_date date not null,
  slot     smallint not null,
  tasks    bigint not null,
  primary key (due_date, slot)
);

-- A write adds to the counts of its connection's slot: connections of a pool seldom share one,
-- and the readers' sum is the same whichever slot a change went to.
create function task_count_slot() returns smallint language sql stable as $$ select (pg_backend_pid() % 16)::smallint $$;

-- Lock order: a write takes its task_counts rows first and its task_open_due_counts rows after,
-- each in key order, so two writes sharing a slot queue rather than deadlock. Creates count row
-- by row, which is that order for the one task a statement the API inserts; a statement inserting
-- many rows takes them in its rows' order and could deadlock with a write on the same slot
-- (PostgreSQL would then abort one of the two).

-- Creates, one row at a time: two indexed upserts, the cheapest form (0.02-0.04 ms a row where
-- the statement-level form below costs 0.1 ms).
create function count_task_insert() returns trigger language plpgsql as $$
declare
  writer_slot constant smallint := task_count_slot();
begin
  insert into task_counts as c (status, priority, slot, tasks) values (new.status, new.priority, writer_slot, 1)
  on conflict (status, priority, slot) do update set tasks = c.tasks + 1;
  if new.status <> 'done' and new.due_date is not null then
    insert into task_open_due_counts as c (due_date, slot, tasks) values (new.due_date, writer_slot, 1)
    on conflict (due_date, slot) do update set tasks = c.tasks + 1;
  end if;
  return null;
end $$;

create type task_count_change as (status task_status, priority task_priority, due_date date, delta integer);

-- Updates and deletes, once per statement: a bulk write of 500 tasks costs two upserts rather
-- than a thousand and takes its rows in key order; changes that cancel out (a title edit) touch
-- no count at all.
create function apply_task_count_changes(changes task_count_change[]) returns void language plpgsql as $$
declare
  writer_slot constant smallint := task_count_slot();
begin
  insert into task_counts as c (status, priority, slot, tasks)
  select status, priority, writer_slot, sum(delta) from unnest(changes)
  group by status, priority having sum(delta) <> 0 order by status, priority
  on conflict (status, priority, slot) do update set tasks = c.tasks + excluded.tasks;

  insert into task_open_due_counts as c (due_date, slot, tasks)
  select due_date, writer_slot, sum(delta) from unnest(changes) where status <> 'done' and due_date is not null
  group by due_date having sum(delta) <> 0 order by due_date
  on conflict (due_date, slot) do update set tasks = c.tasks + excluded.tasks;
end $$;

create function count_task_changes() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    perform apply_task_count_changes(array(select (status, priority, due_date, -1)::task_count_change from old_tasks));
  elsif tg_op = 'UPDATE' then
    perform apply_task_count_changes(array(
      select (status, priority, due_date, 1)::task_count_change from new_tasks
      union all
      select (status, priority, due_date, -1)::task_count_change from old_tasks));
  else
    delete from task_counts;
    delete from task_open_due_counts;
  end if;
  return null;
end $$;

-- Writes to tasks wait from here until this migration commits (reads do not; creating a trigger
-- takes this lock anyway, it is taken first to say so): the backfill counts every write committed
-- before the lock, the triggers every one after. At a million tasks the wait was 0.3-0.4 s.
lock table tasks in share row exclusive mode;

create trigger tasks_count_inserts after insert on tasks
  for each row execute function count_task_insert();
create trigger tasks_count_updates after update on tasks referencing old table as old_tasks new table as new_tasks
  for each statement execute function count_task_changes();
create trigger tasks_count_deletes after delete on tasks referencing old table as old_tasks
  for each statement execute function count_task_changes();
create trigger tasks_count_truncates after truncate on tasks
  for each statement execute function count_task_changes();

insert into task_counts (status, priority, slot, tasks)
select status, priority, 0, count(*) from tasks group by status, priority;
insert into task_open_due_counts (due_date, slot, tasks)
select due_date, 0, count(*) from tasks where status <> 'done' and due_date is not null group by due_date;
