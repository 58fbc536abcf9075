{{/* The Secret with the first admin's password: admin.existingSecret, else <fullname>-admin. */}}
{{- define "backend-api.adminSecretName" -}}
{{- default (printf "%s-admin" (include "common.names.fullname" .)) .Values.admin.existingSecret -}}
{{- end -}}

{{/* ADMIN_EMAIL and ADMIN_PASSWORD (from the admin Secret), for the app and the `helm test` sign-in. */}}
{{- define "backend-api.adminEnv" -}}
- name: ADMIN_EMAIL
  value: {{ .Values.admin.email | quote }}
- name: ADMIN_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "backend-api.adminSecretName" . }}
      key: {{ .Values.admin.existingSecretPasswordKey }}
{{- end -}}

{{/* Fails on a session idle timeout longer than the absolute lifetime (it would never apply). */}}
{{- define "backend-api.checks.sessions" -}}
{{- if gt (int .Values.sessions.idleTimeoutMinutes) (mul .Values.sessions.absoluteLifetimeHours 60 | int) }}
{{- fail (printf "backend-api.sessions.idleTimeoutMinutes (%v) must not exceed backend-api.sessions.absoluteLifetimeHours (%v h = %v min)" .Values.sessions.idleTimeoutMinutes .Values.sessions.absoluteLifetimeHours (mul .Values.sessions.absoluteLifetimeHours 60)) }}
{{- end }}
{{- end -}}

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
{{ include "backend-api.adminEnv" . }}
- name: SESSION_IDLE_TIMEOUT_MINUTES
  value: {{ .Values.sessions.idleTimeoutMinutes | quote }}
- name: SESSION_ABSOLUTE_LIFETIME_HOURS
  value: {{ .Values.sessions.absoluteLifetimeHours | quote }}
- name: SIGN_IN_MAX_FAILURES_PER_ACCOUNT
  value: {{ .Values.signInThrottle.maxFailuresPerAccount | quote }}
- name: SIGN_IN_MAX_FAILURES_PER_ADDRESS
  value: {{ .Values.signInThrottle.maxFailuresPerAddress | quote }}
- name: SIGN_IN_FAILURE_WINDOW_MINUTES
  value: {{ .Values.signInThrottle.windowMinutes | quote }}
- name: TRUST_PROXY
  value: {{ .Values.trustProxy | quote }}
{{- end -}}

{{/* The migrate init container's own env; common.container.env adds `extraEnv` to it. */}}
{{- define "backend-api.migrateEnv" -}}
{{ include "backend-api.dbEnv" . }}
- name: DB_CONNECT_TIMEOUT_SECONDS
  value: {{ .Values.migrations.connectTimeoutSeconds | quote }}
{{ include "common.env.config" (dict "key" "LOG_LEVEL" "context" .) }}
{{- end -}}
