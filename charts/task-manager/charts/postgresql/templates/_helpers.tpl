{{/* The PostgreSQL container's own env; common.container.env adds `extraEnv` to it. */}}
{{- define "postgresql.env" -}}
{{ include "common.env.config" (dict "key" "PGUSER" "name" "POSTGRES_USER" "context" .) }}
{{ include "common.env.config" (dict "key" "PGDATABASE" "name" "POSTGRES_DB" "context" .) }}
{{ include "common.env.dbPassword" (dict "name" "POSTGRES_PASSWORD" "context" .) }}
{{- /* the server (and the image entrypoint's init server) listens on PGPORT */}}
- name: PGPORT
  value: {{ (include "common.database" . | fromJson).port | quote }}
{{- /* a subdirectory of the mount: initdb wants an empty directory (a fresh volume may hold lost+found) */}}
- name: PGDATA
  value: /var/lib/postgresql/data/pgdata
{{- end -}}
