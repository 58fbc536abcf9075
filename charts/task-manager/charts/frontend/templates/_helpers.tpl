{{/* The Secret with SESSION_SECRET: session.existingSecret, else <fullname>-session. */}}
{{- define "frontend.sessionSecretName" -}}
{{- default (printf "%s-session" (include "tm.fullname" .)) .Values.session.existingSecret -}}
{{- end -}}
