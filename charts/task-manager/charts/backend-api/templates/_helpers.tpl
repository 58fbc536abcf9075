{{/* Database connection env (from the umbrella's ConfigMap and the DB Secret), for the app and the migrator. */}}
{{- define "backend-api.dbEnv" -}}
{{- range list "PGHOST" "PGPORT" "PGDATABASE" "PGUSER" "PGSSLMODE" }}
{{ include "common.env.config" (dict "key" . "context" $) }}
{{- end }}
{{ include "common.env.dbPassword" (dict "name" "PGPASSWORD" "context" .) }}
{{- end -}}

{{/* The API container's own env; common.container.env adds `extraEnv` to it. */}}
{{- define "backend-api.env" -}}
{{ include "common.env.ports" . }}
{{ include "backend-api.dbEnv" . }}
{{- range list "LOG_LEVEL" "DB_POOL_SIZE" }}
{{ include "common.env.config" (dict "key" . "context" $) }}
{{- end }}
{{ include "common.env.shutdown" . }}
{{- end -}}

{{/* The migrate init container's own env; common.container.env adds `extraEnv` to it. */}}
{{- define "backend-api.migrateEnv" -}}
{{ include "backend-api.dbEnv" . }}
- name: DB_CONNECT_TIMEOUT_SECONDS
  value: {{ .Values.migrations.connectTimeoutSeconds | quote }}
{{ include "common.env.config" (dict "key" "LOG_LEVEL" "context" .) }}
{{- end -}}
