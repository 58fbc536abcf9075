{{/*
<repository>:<tag> of `image`, the tag defaulting to the chart's appVersion, or <repository>@<digest>
when `image.digest` is set (the content pinned: a digest never moves, a tag may). With
`global.imageRegistry` set, the image is pulled from that registry instead: it replaces the
registry part of a repository that names one (`docker.io/library/postgres` ->
`<registry>/library/postgres`: a mirror keeps the path) and prefixes one that does not
(`task-manager/frontend` -> `<registry>/task-manager/frontend`). A first path component is a
registry when it has a `.` or a `:` or is `localhost`, as in Docker's image references.
Usage: image: {{ include "common.images.image" (dict "image" .Values.image "context" .) }}
Params: image (a map with repository, tag, digest), context (the chart's root context).
*/}}
{{- define "common.images.image" -}}
{{- $registry := dig "imageRegistry" "" (.context.Values.global | default dict) -}}
{{- $repository := .image.repository -}}
{{- if $registry -}}
{{- $parts := splitList "/" $repository -}}
{{- $first := first $parts -}}
{{- if and (gt (len $parts) 1) (or (contains "." $first) (contains ":" $first) (eq $first "localhost")) -}}
{{- $repository = rest $parts | join "/" -}}
{{- end -}}
{{- $repository = printf "%s/%s" $registry $repository -}}
{{- end -}}
{{- if .image.digest -}}
{{- printf "%s@%s" $repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" $repository (default .context.Chart.AppVersion .image.tag | toString) -}}
{{- end -}}
{{- end -}}

{{/*
`imagePullSecrets` of a pod: `global.imagePullSecrets`, then the component's own `secrets`, each
name once; nothing when there are none.
Usage: {{- with include "common.images.pullSecrets" (dict "secrets" .Values.imagePullSecrets "context" .) }}{{ . | nindent 2 }}{{ end }}
Params: secrets (the component's list of {name}), context (the chart's root context).
*/}}
{{- define "common.images.pullSecrets" -}}
{{- $seen := dict -}}
{{- $secrets := list -}}
{{- range concat (dig "imagePullSecrets" list (.context.Values.global | default dict)) (.secrets | default list) -}}
{{- if not (hasKey $seen .name) -}}
{{- $_ := set $seen .name true -}}
{{- $secrets = append $secrets (dict "name" .name) -}}
{{- end -}}
{{- end -}}
{{- with $secrets -}}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end -}}
{{- end -}}

{{/*
The pod spec fields every component takes from its values: its ServiceAccount (token never
mounted), grace period, pod security context (`podSecurityContext`) and scheduling
(`imagePullSecrets` with the global ones, `nodeSelector`, `affinity`, `tolerations`, `topologySpreadConstraints`,
`priorityClassName`).
Usage: {{- include "common.pod.spec" . | nindent 6 }}
*/}}
{{- define "common.pod.spec" -}}
serviceAccountName: {{ include "common.names.serviceAccount" . }}
automountServiceAccountToken: false
terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with include "common.images.pullSecrets" (dict "secrets" .Values.imagePullSecrets "context" .) }}
{{ . }}
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
OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_ENDPOINT of an app container while spans are exported
(global.tracing.enabled), from the umbrella's ConfigMap; nothing otherwise (the services' default: none).
Usage: {{- include "common.env.tracing" . | nindent 12 }}
*/}}
{{- define "common.env.tracing" -}}
{{- if (include "common.tracing" . | fromJson).enabled }}
{{- range list "OTEL_TRACES_EXPORTER" "OTEL_EXPORTER_OTLP_ENDPOINT" }}
{{ include "common.env.config" (dict "key" . "context" $) }}
{{- end }}
{{- end }}
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
A container's environment: `env`, the chart's variables then `extraEnv`, and `envFrom`, from
`extraEnvFrom` (ConfigMap and Secret sources) when there is any. An `extraEnv` entry named like one
of the chart's replaces it in place (the user's value wins), so no name appears twice: env is a
list keyed by name, and server-side apply (Helm 4's default) rejects a duplicate key. A name given
twice in `extraEnv` itself fails the render.
Usage: {{- include "common.container.env" (dict "env" (include "frontend.env" .) "context" .) | nindent 10 }}
Params: env (the chart's EnvVar list, as YAML), context (the chart's root context).
*/}}
{{- define "common.container.env" -}}
{{- $extra := dict -}}
{{- range .context.Values.extraEnv -}}
{{- if hasKey $extra .name -}}
{{- fail (printf "%s.extraEnv names %s twice" $.context.Chart.Name .name) -}}
{{- end -}}
{{- $_ := set $extra .name . -}}
{{- end -}}
{{- $own := dict -}}
{{- $env := list -}}
{{- range fromYamlArray .env -}}
{{- $_ := set $own .name true -}}
{{- $env = append $env (get $extra .name | default .) -}}
{{- end -}}
{{- range .context.Values.extraEnv -}}
{{- if not (hasKey $own .name) -}}
{{- $env = append $env . -}}
{{- end -}}
{{- end -}}
env:
  {{- toYaml $env | nindent 2 }}
{{- with .context.Values.extraEnvFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
The end of an app container: its probes (each the value of that name, on the named ports; an
empty one is left out), `resources`, and its volume mounts (common.container.volumeMounts).
Usage: {{- include "common.container.tail" (dict "probes" (list "startupProbe" "livenessProbe" "readinessProbe") "context" .) | nindent 10 }}
Params: probes (names of the probe values, in order), context (the chart's root context).
*/}}
{{- define "common.container.tail" -}}
{{- range $probe := .probes }}
{{- with index $.context.Values $probe }}
{{ $probe }}:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
resources:
  {{- toYaml .context.Values.resources | nindent 2 }}
volumeMounts:
  {{- include "common.container.volumeMounts" (dict "context" .context) | nindent 2 }}
{{- end -}}

{{/*
The writable `emptyDir` volumes a pod gets under a read-only root filesystem, each limited to
`tmpSizeLimit`, then `extraVolumes`; an extra volume named like one of the chart's (an emptyDir or
a volumeClaimTemplate) fails the render.
Usage: volumes: {{- include "common.pod.volumes" (dict "names" (list "tmp") "context" .) | nindent 8 }}
Params: names (the emptyDir volumes), claims (names of the volumeClaimTemplates, optional),
context (the chart's root context).
*/}}
{{- define "common.pod.volumes" -}}
{{- range .names }}
- name: {{ . }}
  emptyDir:
    sizeLimit: {{ $.context.Values.tmpSizeLimit }}
{{- end }}
{{- range .context.Values.extraVolumes }}
{{- if has .name (concat $.names ($.claims | default list)) }}
{{- fail (printf "%s.extraVolumes: %s is a volume of the chart's own" $.context.Chart.Name .name) }}
{{- end }}
{{- end }}
{{- with .context.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/*
A container's volume mounts: /tmp (the `tmp` emptyDir), the chart's other `mounts`, then
`extraVolumeMounts`.
Usage: volumeMounts: {{- include "common.container.volumeMounts" (dict "context" .) | nindent 12 }}
Params: mounts (the chart's other VolumeMounts, optional), context (the chart's root context).
*/}}
{{- define "common.container.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- with .mounts }}
{{ toYaml . }}
{{- end }}
{{- with .context.Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
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
