{{/*
NetworkPolicy parts, for each component's policy (global.networkPolicy.enabled). A policy that
names a sibling's port is rendered by the umbrella, the one chart that sees every component's
values: the frontend's (its egress to backend-api.service.port).
*/}}

{{/*
Selector labels of a sibling component, as its chart sets them.
Usage: {{- include "common.labels.peer" (dict "name" "backend-api" "context" .) | nindent 14 }}
Params: name (frontend | backend-api | postgresql), context (the chart's root context).
*/}}
{{- define "common.labels.peer" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
{{- end -}}

{{/*
The head of a component's NetworkPolicy (Ingress and Egress): name, labels, pod selector.
Usage: {{- include "common.networkPolicy.head" . }}
*/}}
{{- define "common.networkPolicy.head" -}}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "common.names.fullname" . }}
  labels:
    {{- include "common.labels.standard" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "common.labels.matchLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    - Egress
{{- end -}}

{{/*
Egress rule: DNS (53 UDP and TCP) to anywhere.
Usage: {{- include "common.networkPolicy.dnsEgress" . | nindent 4 }}
*/}}
{{- define "common.networkPolicy.dnsEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{/*
Egress rule: the OTLP collector's port (global.tracing.endpoint's, else 80 or 443 by its scheme) to
any address, while spans are exported (global.tracing.enabled); nothing otherwise.
Usage: {{- include "common.networkPolicy.tracingEgress" . | nindent 4 }}
*/}}
{{- define "common.networkPolicy.tracingEgress" -}}
{{- $tracing := include "common.tracing" . | fromJson }}
{{- if $tracing.enabled }}
{{- $url := urlParse $tracing.endpoint }}
{{- $port := regexFind "[0-9]+$" (regexFind ":[0-9]+$" $url.host) | default (ternary "443" "80" (eq $url.scheme "https")) }}
# The OTLP collector: its address is not known here, so its port is allowed to any address.
- ports:
    - port: {{ $port | int }}
      protocol: TCP
{{- end }}
{{- end -}}

{{/*
Egress rule: PostgreSQL's port on the database pods, by `global.database.mode`: the bundled
PostgreSQL's, the CloudNativePG Cluster's instances and Pooler, or (external: its address is not
known here) any address.
Usage: {{- include "common.networkPolicy.databaseEgress" . | nindent 4 }}
*/}}
{{- define "common.networkPolicy.databaseEgress" -}}
{{- $db := include "common.database" . | fromJson }}
{{- $rule := dict "ports" (list (dict "port" (int $db.port) "protocol" "TCP")) }}
{{- if eq $db.mode "bundled" }}
{{- $_ := set $rule "to" (list (dict "podSelector" (dict "matchLabels" (include "common.labels.peer" (dict "name" "postgresql" "context" .) | fromYaml)))) }}
{{- else if eq $db.mode "cloudnative-pg" }}
{{- /* The Cluster's instances and its Pooler's pods both carry the cluster label. */}}
{{- $_ := set $rule "to" (list (dict "podSelector" (dict "matchLabels" (dict "cnpg.io/cluster" (include "common.names.cnpgCluster" .))))) }}
{{- end }}
{{- toYaml (list $rule) }}
{{- end -}}

{{/*
Ingress rule: the peers in `networkPolicy.metricsFrom` may scrape `metrics.port` (none when empty).
Usage: {{- include "common.networkPolicy.metricsIngress" . | nindent 4 }}
*/}}
{{- define "common.networkPolicy.metricsIngress" -}}
{{- if .Values.networkPolicy.metricsFrom }}
- from:
    {{- toYaml .Values.networkPolicy.metricsFrom | nindent 4 }}
  ports:
    - port: {{ .Values.metrics.port }}
      protocol: TCP
{{- end }}
{{- end -}}
