{{/*
<repository>:<tag> of `image`, the tag defaulting to the chart's appVersion.
Usage: image: {{ include "common.images.image" (dict "image" .Values.image "context" .) }}
Params: image (a map with repository, tag), context (the chart's root context).
*/}}
{{- define "common.images.image" -}}
{{- printf "%s:%s" .image.repository (default .context.Chart.AppVersion .image.tag | toString) -}}
{{- end -}}

{{/*
The pod spec fields every component takes from its values: its ServiceAccount (token never
mounted), grace period, pod security context (`podSecurityContext`) and scheduling
(`imagePullSecrets`, `nodeSelector`, `affinity`, `tolerations`, `topologySpreadConstraints`,
`priorityClassName`).
Usage: {{- include "common.pod.spec" . | nindent 6 }}
*/}}
{{- define "common.pod.spec" -}}
serviceAccountName: {{ include "common.names.serviceAccount" . }}
automountServiceAccountToken: false
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

{{/*
The start of a container: name, image, pull policy and container security context (`securityContext`).
Usage: {{- include "common.container.head" (dict "name" "frontend" "context" .) | nindent 8 }}
Params: name (the container's name), context (the chart's root context).
*/}}
{{- define "common.container.head" -}}
- name: {{ .name }}
  image: {{ include "common.images.image" (dict "image" .context.Values.image "context" .context) }}
  imagePullPolicy: {{ .context.Values.image.pullPolicy }}
  securityContext:
    {{- toYaml .context.Values.securityContext | nindent 4 }}
{{- end -}}

{{/*
An app container's ports and the env that tells the process to listen on them: `http` on
`service.port` (PORT), `metrics` on `metrics.port` (METRICS_PORT). Probes and Services refer to
the ports by these names, so they follow the values.
Usage: {{- include "common.container.ports" . | nindent 10 }} ... env: {{- include "common.env.ports" . | nindent 12 }}
*/}}
{{- define "common.container.ports" -}}
ports:
  - name: http
    containerPort: {{ .Values.service.port }}
    protocol: TCP
  - name: metrics
    containerPort: {{ .Values.metrics.port }}
    protocol: TCP
{{- end -}}

{{- define "common.env.ports" -}}
- name: PORT
  value: {{ .Values.service.port | quote }}
- name: METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
{{- end -}}

{{/*
SHUTDOWN_* of an app container, from `shutdown`.
Usage: {{- include "common.env.shutdown" . | nindent 12 }}
*/}}
{{- define "common.env.shutdown" -}}
- name: SHUTDOWN_DELAY_SECONDS
  value: {{ .Values.shutdown.delaySeconds | quote }}
- name: SHUTDOWN_TIMEOUT_SECONDS
  value: {{ .Values.shutdown.timeoutSeconds | quote }}
{{- end -}}

{{/*
An env var read from a key of the umbrella's ConfigMap.
Usage: {{- include "common.env.config" (dict "key" "LOG_LEVEL" "context" .) | nindent 12 }}
Params: key (the ConfigMap key), name (the variable; default the key), context (the chart's root context).
*/}}
{{- define "common.env.config" -}}
- name: {{ default .key .name }}
  valueFrom:
    configMapKeyRef:
      name: {{ include "common.names.configMap" .context }}
      key: {{ .key }}
{{- end -}}

{{/*
An env var read from the database password Secret.
Usage: {{- include "common.env.dbPassword" (dict "name" "PGPASSWORD" "context" .) | nindent 12 }}
Params: name (the variable), context (the chart's root context).
*/}}
{{- define "common.env.dbPassword" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "common.names.dbSecret" .context }}
      key: {{ include "common.names.dbSecretKey" .context }}
{{- end -}}

{{/*
The end of an app container: its probes (each the value of that name, on the named ports),
`resources`, and the /tmp mount.
Usage: {{- include "common.container.tail" (dict "probes" (list "livenessProbe" "readinessProbe") "context" .) | nindent 10 }}
Params: probes (names of the probe values, in order), context (the chart's root context).
*/}}
{{- define "common.container.tail" -}}
{{- range .probes }}
{{ . }}:
  {{- toYaml (index $.context.Values .) | nindent 2 }}
{{- end }}
resources:
  {{- toYaml .context.Values.resources | nindent 2 }}
volumeMounts:
  {{- include "common.container.tmpMount" . | nindent 2 }}
{{- end -}}

{{/*
The writable `emptyDir` volumes a container gets under a read-only root filesystem, each limited
to `tmpSizeLimit`, and their mounts.
Usage: volumes: {{- include "common.pod.emptyDirs" (dict "names" (list "tmp") "context" .) | nindent 8 }}
       volumeMounts: {{- include "common.container.tmpMount" . | nindent 12 }}
Params: names (volume names), context (the chart's root context).
*/}}
{{- define "common.pod.emptyDirs" -}}
{{- range .names }}
- name: {{ . }}
  emptyDir:
    sizeLimit: {{ $.context.Values.tmpSizeLimit }}
{{- end }}
{{- end -}}

{{- define "common.container.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end -}}

{{/*
Fails unless terminationGracePeriodSeconds >= shutdown.delaySeconds + shutdown.timeoutSeconds + 5.
Usage: {{- include "common.checks.gracePeriod" . }}
*/}}
{{- define "common.checks.gracePeriod" -}}
{{- $grace := add .Values.shutdown.delaySeconds .Values.shutdown.timeoutSeconds 5 }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $grace) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) must be at least shutdown.delaySeconds + shutdown.timeoutSeconds + 5 = %v" .Chart.Name .Values.terminationGracePeriodSeconds $grace) }}
{{- end }}
{{- end -}}
