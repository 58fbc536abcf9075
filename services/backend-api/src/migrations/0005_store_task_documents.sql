-- Each task keeps the JSON object the API answers with, written by the task's own writes, so a
-- page of fifty reads fifty stored strings instead of building fifty objects (building them was a
-- third of the list's time in PostgreSQL). The display names are not stored: they are joined at
-- every read, so a renamed user shows renamed everywhere. Timestamps are written in UTC whatever
-- the writing session's time zone, so every row reads alike. A trigger, not the statements, keeps
-- it current, so the release before this one (serving during a rolling upgrade) keeps it too.
--
-- Tasks written before this migration have none until their next write, and are built at read
-- time from the same function meanwhile (queries.ts): filling them here would rewrite every row
-- while holding the table's exclusive lock, which at a million tasks stops every read and write
-- for about two minutes. Adding the empty column takes that lock only for an instant.
create function task_document(t tasks) returns text language sql stable set timezone to 'UTC' as $$
  select json_build_object(
    'id', t.id, 'title', t.title, 'description', t.description, 'status', t.status, 'priority', t.priority,
    'dueDate', t.due_date, 'tags', t.tags, 'assigneeId', t.assignee_id, 'createdBy', t.created_by,
    'createdAt', t.created_at, 'updatedAt', t.updated_at, 'version', t.version)::text
$$;

alter table tasks add column document text;

create function store_task_document() returns trigger language plpgsql as $$
begin
  new.document := task_document(new);
  return new;
end $$;
create trigger tasks_document before insert or update on tasks
  for each row execute function store_task_document();
