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
{{- range list "LOG_LEVEL" "DB_POOL_SIZE" "DB_RETRY_BUDGET_MS" }}
{{ include "common.env.config" (dict "key" . "context" $) }}
{{- end }}
{{ include "common.env.tracing" . }}
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
{{ include "backend-api.authEnv" . }}
{{- end -}}

{{/* Sign-in methods: AUTH_PASSWORD_ENABLED, and the OIDC_* settings when the provider is on. */}}
{{- define "backend-api.authEnv" -}}
{{- $oidc := .Values.auth.oidc -}}
- name: AUTH_PASSWORD_ENABLED
  value: {{ .Values.auth.password.enabled | quote }}
{{- if $oidc.enabled }}
{{- $public := trimSuffix "/" .Values.auth.publicUrl }}
- name: OIDC_ENABLED
  value: "true"
- name: OIDC_PROVIDER_NAME
  value: {{ $oidc.providerName | quote }}
- name: OIDC_ISSUER_URL
  value: {{ $oidc.issuerUrl | quote }}
- name: OIDC_CLIENT_ID
  value: {{ $oidc.clientId | quote }}
- name: OIDC_CLIENT_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $oidc.existingSecret }}
      key: {{ $oidc.existingSecretKey }}
- name: OIDC_REDIRECT_URL
  value: {{ printf "%s/login/oidc/callback" $public | quote }}
- name: OIDC_POST_LOGOUT_REDIRECT_URL
  value: {{ printf "%s/login" $public | quote }}
- name: OIDC_SCOPES
  value: {{ $oidc.scopes | quote }}
- name: OIDC_EMAIL_CLAIM
  value: {{ $oidc.claims.email | quote }}
- name: OIDC_NAME_CLAIM
  value: {{ $oidc.claims.name | quote }}
- name: OIDC_ROLES_CLAIM
  value: {{ $oidc.claims.roles | quote }}
- name: OIDC_ROLE_MAPPING
  value: {{ $oidc.roleMapping | toJson | quote }}
- name: OIDC_DEFAULT_ROLE
  value: {{ $oidc.defaultRole | quote }}
- name: OIDC_ALLOWED_DOMAINS
  value: {{ join "," $oidc.allowedDomains | quote }}
- name: OIDC_REQUIRED_GROUP
  value: {{ $oidc.requiredGroup | quote }}
- name: OIDC_CLOCK_TOLERANCE_SECONDS
  value: {{ $oidc.clockToleranceSeconds | quote }}
- name: OIDC_TIMEOUT_SECONDS
  value: {{ $oidc.timeoutSeconds | quote }}
{{- end }}
{{- end -}}

{{/* A sign-in configuration that cannot work fails the render, naming the value to set. */}}
{{- define "backend-api.checks.auth" -}}
{{- $oidc := .Values.auth.oidc -}}
{{- if and (not .Values.auth.password.enabled) (not $oidc.enabled) }}
{{- fail "backend-api.auth.password.enabled=false needs backend-api.auth.oidc.enabled=true: with neither, nobody can sign in" }}
{{- end }}
{{- if $oidc.enabled }}
{{- range $key, $value := dict "auth.publicUrl" .Values.auth.publicUrl "auth.oidc.issuerUrl" $oidc.issuerUrl "auth.oidc.clientId" $oidc.clientId "auth.oidc.existingSecret" $oidc.existingSecret }}
{{- if not $value }}
{{- fail (printf "backend-api.auth.oidc.enabled=true needs backend-api.%s to be set" $key) }}
{{- end }}
{{- end }}
{{- else if or $oidc.issuerUrl $oidc.clientId $oidc.existingSecret }}
{{- fail "backend-api.auth.oidc.issuerUrl, clientId or existingSecret is set but backend-api.auth.oidc.enabled is false: set enabled=true to sign in with the provider, or clear them" }}
{{- end }}
{{- end -}}

{{/* The provider's port (from issuerUrl), which the API must reach for discovery, keys and the token endpoint. */}}
{{- define "backend-api.oidcPort" -}}
{{- $url := urlParse .Values.auth.oidc.issuerUrl -}}
{{- $hostPort := splitList ":" $url.host -}}
{{- if gt (len $hostPort) 1 }}{{ last $hostPort }}{{ else if eq $url.scheme "http" }}80{{ else }}443{{ end -}}
{{- end -}}

{{/* The migrate init container's own env; common.container.env adds `extraEnv` to it. */}}
{{- define "backend-api.migrateEnv" -}}
{{ include "backend-api.dbEnv" . }}
- name: DB_CONNECT_TIMEOUT_SECONDS
  value: {{ .Values.migrations.connectTimeoutSeconds | quote }}
{{ include "common.env.config" (dict "key" "LOG_LEVEL" "context" .) }}
{{- end -}}
