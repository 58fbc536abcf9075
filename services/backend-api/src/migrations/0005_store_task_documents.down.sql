drop trigger tasks_document on tasks;
drop function store_task_document();
drop function task_document(tasks);
alter table tasks drop column document;
