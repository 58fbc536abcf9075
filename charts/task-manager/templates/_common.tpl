{{/*
Helpers shared by the umbrella chart and its three subcharts.
This file lives in charts/task-manager/templates/ and each subchart's templates/_common.tpl is a
symbolic link to it, so every chart (also when linted or rendered alone) names and labels objects
the same way. Every helper takes the chart's own root context (`.`), so `.Chart` and `.Values`
are the calling chart's.
*/}}

{{/* Chart name, or nameOverride. */}}
{{- define "tm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Full name: fullnameOverride, else <release>-<chart> (just <release> when it already contains the
chart name, so release `task-manager` gives `task-manager-frontend` and the umbrella `task-manager`).
*/}}
{{- define "tm.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "tm.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: stable for the life of a release. */}}
{{- define "tm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Common labels, on every object. */}}
{{- define "tm.labels" -}}
helm.sh/chart: {{ include "tm.chart" . }}
{{ include "tm.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: task-manager
{{- end -}}

{{/* Selector labels of a sibling component (name = frontend | backend-api | postgresql). */}}
{{- define "tm.peerSelectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "tm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "tm.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "tm.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}

{{/* The umbrella's ConfigMap with the app configuration (PG*, BACKEND_API_URL, settings). */}}
{{- define "tm.configMapName" -}}
{{- printf "%s-config" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The Secret holding the database password, and its key: global.database.existingSecret, else <release>-db. */}}
{{- define "tm.dbSecretName" -}}
{{- default (printf "%s-db" .Release.Name | trunc 63 | trimSuffix "-") .Values.global.database.existingSecret -}}
{{- end -}}

{{- define "tm.dbSecretKey" -}}
{{- .Values.global.database.existingSecretPasswordKey -}}
{{- end -}}

{{/*
Rolls pods when the shared configuration changes: the umbrella's ConfigMap and DB Secret are made
from `global` values (and the release name), which is all a subchart can see, so their checksum
is the checksum of those inputs.
*/}}
{{- define "tm.sharedConfigChecksum" -}}
{{- dict "global" .Values.global "release" .Release.Name | toJson | sha256sum -}}
{{- end -}}

{{/* Standard pod spec fields every component takes from its values. */}}
{{- define "tm.podScheduling" -}}
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

{{/* Pod metadata labels (selector labels + common + podLabels). */}}
{{- define "tm.podLabels" -}}
{{ include "tm.labels" . }}
{{- with .Values.podLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The ServiceAccount object of a component. */}}
{{- define "tm.serviceAccount" -}}
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "tm.serviceAccountName" . }}
  labels:
    {{- include "tm.labels" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{/* PodDisruptionBudget of a component (policy/v1). */}}
{{- define "tm.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "tm.fullname" . }}
  labels:
    {{- include "tm.labels" . | nindent 4 }}
spec:
  {{- if .Values.podDisruptionBudget.maxUnavailable }}
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  {{- else }}
  minAvailable: {{ .Values.podDisruptionBudget.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "tm.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/* HorizontalPodAutoscaler of a Deployment component (autoscaling/v2). */}}
{{- define "tm.hpa" -}}
{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "tm.fullname" . }}
  labels:
    {{- include "tm.labels" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "tm.fullname" . }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
  metrics:
    {{- with .Values.autoscaling.targetCPUUtilizationPercentage }}
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
    {{- with .Values.autoscaling.targetMemoryUtilizationPercentage }}
    - type: Resource
      resource:
        name: memory
        target:
          type: Utilization
          averageUtilization: {{ . }}
    {{- end }}
{{- end }}
{{- end -}}

{{/* Metrics Service + ServiceMonitor of an app component (port `metrics`, 9464). */}}
{{- define "tm.serviceMonitor" -}}
{{- if .Values.metrics.serviceMonitor.enabled }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "tm.fullname" . }}-metrics
  labels:
    {{- include "tm.labels" . | nindent 4 }}
    app.kubernetes.io/component: metrics
spec:
  type: ClusterIP
  selector:
    {{- include "tm.selectorLabels" . | nindent 4 }}
  ports:
    - name: metrics
      port: {{ .Values.metrics.port }}
      targetPort: metrics
      protocol: TCP
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "tm.fullname" . }}
  labels:
    {{- include "tm.labels" . | nindent 4 }}
    {{- with .Values.metrics.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "tm.selectorLabels" . | nindent 6 }}
      app.kubernetes.io/component: metrics
  endpoints:
    - port: metrics
      path: /metrics
      interval: {{ .Values.metrics.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.metrics.serviceMonitor.scrapeTimeout }}
{{- end }}
{{- end -}}

{{/* NetworkPolicy rule parts. */}}
{{- define "tm.netpolDnsEgress" -}}
- ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end -}}

{{- define "tm.netpolMetricsIngress" -}}
{{- if .Values.networkPolicy.metricsFrom }}
- from:
    {{- toYaml .Values.networkPolicy.metricsFrom | nindent 4 }}
  ports:
    - port: {{ .Values.metrics.port }}
      protocol: TCP
{{- end }}
{{- end -}}

{{/* The writable /tmp every app container gets under a read-only root filesystem. */}}
{{- define "tm.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- end -}}

{{/* SHUTDOWN_* of an app container. */}}
{{- define "tm.shutdownEnv" -}}
- name: SHUTDOWN_DELAY_SECONDS
  value: {{ .Values.shutdown.delaySeconds | quote }}
- name: SHUTDOWN_TIMEOUT_SECONDS
  value: {{ .Values.shutdown.timeoutSeconds | quote }}
{{- end -}}

{{/* An env var (name, default the key) read from key `key` of the umbrella's ConfigMap. */}}
{{- define "tm.configEnv" -}}
- name: {{ default .key .name }}
  valueFrom:
    configMapKeyRef:
      name: {{ include "tm.configMapName" .root }}
      key: {{ .key }}
{{- end -}}

{{/* The grace-period check: terminationGracePeriodSeconds >= delay + timeout + 5. */}}
{{- define "tm.checkGracePeriod" -}}
{{- $grace := add .Values.shutdown.delaySeconds .Values.shutdown.timeoutSeconds 5 }}
{{- if lt (int .Values.terminationGracePeriodSeconds) (int $grace) }}
{{- fail (printf "%s.terminationGracePeriodSeconds (%v) must be at least shutdown.delaySeconds + shutdown.timeoutSeconds + 5 = %v" .Chart.Name .Values.terminationGracePeriodSeconds $grace) }}
{{- end }}
{{- end -}}
