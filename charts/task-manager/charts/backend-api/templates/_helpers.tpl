{{/* Database connection env (from the umbrella's ConfigMap and the DB Secret), for the app and the migrator. */}}
{{- define "backend-api.dbEnv" -}}
{{- range list "PGHOST" "PGPORT" "PGDATABASE" "PGUSER" "PGSSLMODE" }}
{{ include "tm.configEnv" (dict "root" $ "key" .) }}
{{- end }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "tm.dbSecretName" . }}
      key: {{ include "tm.dbSecretKey" . }}
{{- end -}}
