{{/* The Secret with SESSION_SECRET: session.existingSecret, else <fullname>-session. */}}
{{- define "frontend.sessionSecretName" -}}
{{- default (printf "%s-session" (include "common.names.fullname" .)) .Values.session.existingSecret -}}
{{- end -}}

{{/*
The frontend's NetworkPolicy: anyone may reach the UI on its port; the frontend may only call the
backend API and DNS. The umbrella renders it (templates/networkpolicy.yaml), the one chart that
sees the backend API's port.
Usage: {{- include "frontend.networkPolicy" (dict "backendApiPort" 5000 "context" .Subcharts.frontend) }}
Params: backendApiPort (`backend-api.service.port`), context (the frontend chart's context).
*/}}
{{- define "frontend.networkPolicy" -}}
{{- $ctx := .context -}}
{{ include "common.networkPolicy.head" $ctx }}
  ingress:
    - ports:
        - port: {{ $ctx.Values.service.port }}
          protocol: TCP
    {{- include "common.networkPolicy.metricsIngress" $ctx | nindent 4 }}
  egress:
    - to:
        - podSelector:
            matchLabels:
              {{- include "common.labels.peer" (dict "name" "backend-api" "context" $ctx) | nindent 14 }}
      ports:
        - port: {{ .backendApiPort }}
          protocol: TCP
    {{- include "common.networkPolicy.tracingEgress" $ctx | nindent 4 }}
    {{- include "common.networkPolicy.dnsEgress" $ctx | nindent 4 }}
{{- end -}}

{{/* The frontend container's own env; common.container.env adds `extraEnv` to it. */}}
{{- define "frontend.env" -}}
{{ include "common.env.ports" . }}
{{- range list "BACKEND_API_URL" "BACKEND_TIMEOUT_MS" "LOG_LEVEL" }}
{{ include "common.env.config" (dict "key" . "context" $) }}
{{- end }}
{{ include "common.env.tracing" . }}
- name: SESSION_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "frontend.sessionSecretName" . }}
      key: {{ .Values.session.existingSecretKey }}
- name: COOKIE_SECURE
  value: {{ .Values.session.cookieSecure | quote }}
- name: TRUST_PROXY
  value: {{ .Values.trustProxy | quote }}
{{ include "common.env.shutdown" . }}
{{- end -}}
