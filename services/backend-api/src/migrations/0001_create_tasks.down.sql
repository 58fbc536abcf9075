drop table if exists tasks;
drop type if exists task_priority;
drop type if exists task_status;
