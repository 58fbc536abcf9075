{{/*
Selector labels: stable for the life of a release.
Usage: {{ include "common.labels.matchLabels" . | nindent 6 }}
*/}}
{{- define "common.labels.matchLabels" -}}
app.kubernetes.io/name: {{ include "common.names.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
The labels on every object: selector labels, chart, version, manager, part-of.
Usage: {{ include "common.labels.standard" . | nindent 4 }}
*/}}
{{- define "common.labels.standard" -}}
helm.sh/chart: {{ include "common.names.chart" . }}
{{ include "common.labels.matchLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: task-manager
{{- end -}}

{{/*
Pod labels: the standard labels and `podLabels`.
Usage: {{ include "common.labels.pod" . | nindent 8 }}
*/}}
{{- define "common.labels.pod" -}}
{{ include "common.labels.standard" . }}
{{- with .Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}
