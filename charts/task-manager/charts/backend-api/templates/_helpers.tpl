{{/* Database connection env (from the umbrella's ConfigMap and the DB Secret), for the app and the migrator. */}}
{{- define "backend-api.dbEnv" -}}
{{- range list "PGHOST" "PGPORT" "PGDATABASE" "PGUSER" "PGSSLMODE" }}
{{ include "common.env.config" (dict "key" . "context" $) }}
{{- end }}
{{ include "common.env.dbPassword" (dict "name" "PGPASSWORD" "context" .) }}
{{- end -}}
