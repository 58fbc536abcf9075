{{/*
A Deployment of an app component, up to and including its pod spec's common fields; the caller
continues the pod spec (at 6 spaces) with its containers and volumes. Replicas follow
`replicaCount` unless `autoscaling.enabled`; a rolling update never goes below the replica count.
Usage:
  {{- include "common.deployment.head" (dict "annotations" (dict "checksum/x" $sum) "context" .) }}
        containers: ...
Params: annotations (extra pod annotations, besides checksum/config and podAnnotations), context (the chart's root context).
*/}}
{{- define "common.deployment.head" -}}
{{- $ctx := .context -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "common.names.fullname" $ctx }}
  labels:
    {{- include "common.labels.standard" $ctx | nindent 4 }}
spec:
  {{- if not $ctx.Values.autoscaling.enabled }}
  replicas: {{ $ctx.Values.replicaCount }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "common.labels.matchLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: 0
      maxSurge: 1
  template:
    metadata:
      labels:
        {{- include "common.labels.pod" $ctx | nindent 8 }}
      annotations:
        checksum/config: {{ include "common.checksums.shared" $ctx }}
        {{- with .annotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $ctx.Values.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "common.pod.spec" $ctx | nindent 6 }}
{{- end -}}

{{/*
The Service of an app component: port `http` (`service.port`) to the container port named `http`,
with `service.nodePort` when the type is NodePort.
Usage: {{- include "common.service.http" . }}
*/}}
{{- define "common.service.http" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.names.fullname" . }}
  labels:
    {{- include "common.labels.standard" . | nindent 4 }}
  {{- with .Values.service.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: {{ .Values.service.type }}
  selector:
    {{- include "common.labels.matchLabels" . | nindent 4 }}
  ports:
    - name: http
      port: {{ .Values.service.port }}
      targetPort: http
      protocol: TCP
      {{- if and (eq .Values.service.type "NodePort") .Values.service.nodePort }}
      nodePort: {{ .Values.service.nodePort }}
      {{- end }}
{{- end -}}

{{/*
The ServiceAccount of a component (when `serviceAccount.create`); its token is never mounted.
Usage: {{- include "common.serviceAccount" . }}
*/}}
{{- define "common.serviceAccount" -}}
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "common.names.serviceAccount" . }}
  labels:
    {{- include "common.labels.standard" . | nindent 4 }}
  {{- with .Values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: false
{{- end }}
{{- end -}}

{{/*
The PodDisruptionBudget of a component (policy/v1), when `podDisruptionBudget.enabled`:
`maxUnavailable` when set, else `minAvailable`.
Usage: {{- include "common.pdb" . }}
*/}}
{{- define "common.pdb" -}}
{{- if .Values.podDisruptionBudget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "common.names.fullname" . }}
  labels:
    {{- include "common.labels.standard" . | nindent 4 }}
spec:
  {{- if .Values.podDisruptionBudget.maxUnavailable }}
  maxUnavailable: {{ .Values.podDisruptionBudget.maxUnavailable }}
  {{- else }}
  minAvailable: {{ .Values.podDisruptionBudget.minAvailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "common.labels.matchLabels" . | nindent 6 }}
{{- end }}
{{- end -}}

{{/*
The HorizontalPodAutoscaler (autoscaling/v2) of a Deployment component, when `autoscaling.enabled`:
CPU and memory utilization targets, each off at 0.
Usage: {{- include "common.hpa" . }}
*/}}
{{- define "common.hpa" -}}
{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ include "common.names.fullname" . }}
  labels:
    {{- include "common.labels.standard" . | nindent 4 }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ include "common.names.fullname" . }}
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

{{/*
The metrics Service (port `metrics`, `metrics.port`) and ServiceMonitor of an app component, when
`metrics.serviceMonitor.enabled`.
Usage: {{- include "common.serviceMonitor" . }}
*/}}
{{- define "common.serviceMonitor" -}}
{{- if .Values.metrics.serviceMonitor.enabled }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.names.fullname" . }}-metrics
  labels:
    {{- include "common.labels.standard" . | nindent 4 }}
    app.kubernetes.io/component: metrics
spec:
  type: ClusterIP
  selector:
    {{- include "common.labels.matchLabels" . | nindent 4 }}
  ports:
    - name: metrics
      port: {{ .Values.metrics.port }}
      targetPort: metrics
      protocol: TCP
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "common.names.fullname" . }}
  labels:
    {{- include "common.labels.standard" . | nindent 4 }}
    {{- with .Values.metrics.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "common.labels.matchLabels" . | nindent 6 }}
      app.kubernetes.io/component: metrics
  endpoints:
    - port: metrics
      path: /metrics
      interval: {{ .Values.metrics.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.metrics.serviceMonitor.scrapeTimeout }}
{{- end }}
{{- end -}}
