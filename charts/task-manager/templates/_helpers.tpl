{{/* Fails on a database configuration that names no database, or two. */}}
{{- define "task-manager.validate" -}}
{{- if and (not .Values.postgresql.enabled) (not .Values.global.database.host) }}
{{- fail "postgresql.enabled=false needs an external database: set global.database.host (and its password or existingSecret)" }}
{{- end }}
{{- if and .Values.postgresql.enabled .Values.global.database.host }}
{{- fail "global.database.host is set while postgresql.enabled=true: set postgresql.enabled=false to use the external database" }}
{{- end }}
{{- $tracing := include "task-manager.tracing" . | fromJson }}
{{- if and $tracing.enabled (not $tracing.endpoint) }}
{{- fail "global.tracing.enabled=true needs global.tracing.endpoint: the OTLP/HTTP URL of a collector, e.g. http://otel-collector.observability:4318" }}
{{- end }}
{{- end -}}

{{/* Name of a component's objects, as its subchart names them (fullnameOverride / nameOverride honoured). */}}
{{- define "task-manager.componentFullname" -}}
{{- include "common.names.fullname" (index .root.Subcharts .name) -}}
{{- end -}}

{{/* http://<service>:<service.port> of a component (frontend | backend-api). */}}
{{- define "task-manager.componentUrl" -}}
{{- printf "http://%s:%v" (include "task-manager.componentFullname" .) (index .root.Subcharts .name).Values.service.port -}}
{{- end -}}

{{/* PGHOST: the external host, else the bundled PostgreSQL Service. */}}
{{- define "task-manager.dbHost" -}}
{{- if .Values.global.database.host -}}
{{- .Values.global.database.host -}}
{{- else -}}
{{- include "task-manager.componentFullname" (dict "root" . "name" "postgresql") -}}
{{- end -}}
{{- end -}}

{{/* Fails on backup values that cannot work, naming the value. */}}
{{- define "task-manager.backup.validate" -}}
{{- $b := .Values.backup }}
{{- if eq $b.target "s3" }}
{{- range $key := list "endpoint" "bucket" "existingSecret" }}
{{- if not (index $b.s3 $key) }}
{{- fail (printf "backup.s3.%s is required with backup.target=s3" $key) }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The Job spec of the backup and restore CronJobs: the backend image running `command`, with the
backend's database settings, the target's settings (BACKUP_*, the S3 credentials and the encryption
key from their Secrets) and Pod Security "restricted" (the backend's security contexts, a read-only
root filesystem, /tmp an emptyDir, the PVC mounted on /backups).
Usage: {{- include "task-manager.backup.jobSpec" (dict "name" "backup" "command" (list "node" "dist/backup/backup.js") "root" .) | nindent 6 }}
Params: name (the container's), command, root (the umbrella's context).
*/}}
{{- define "task-manager.backup.jobSpec" -}}
{{- $root := .root }}
{{- $b := $root.Values.backup }}
{{- $be := index $root.Subcharts "backend-api" -}}
backoffLimit: {{ $b.backoffLimit }}
activeDeadlineSeconds: {{ $b.activeDeadlineSeconds }}
template:
  metadata:
    labels:
      {{- include "common.labels.standard" $root | nindent 6 }}
      {{- /* The PostgreSQL NetworkPolicy lets pods of this component in. */}}
      app.kubernetes.io/component: database-backup
  spec:
    restartPolicy: Never
    automountServiceAccountToken: false
    enableServiceLinks: false
    securityContext:
      {{- toYaml $be.Values.podSecurityContext | nindent 6 }}
    {{- with include "common.images.pullSecrets" (dict "secrets" $be.Values.imagePullSecrets "context" $be) }}
    {{- . | nindent 4 }}
    {{- end }}
    containers:
      - name: {{ .name }}
        image: {{ include "common.images.image" (dict "image" $be.Values.image "context" $be) }}
        imagePullPolicy: {{ $be.Values.image.pullPolicy }}
        securityContext:
          {{- toYaml $be.Values.securityContext | nindent 10 }}
        command:
          {{- toYaml .command | nindent 10 }}
        env:
          {{- include "backend-api.dbEnv" $be | trim | nindent 10 }}
          {{- include "common.env.config" (dict "key" "LOG_LEVEL" "context" $be) | nindent 10 }}
          - name: BACKUP_KEEP_LAST
            value: {{ $b.keepLast | quote }}
          - name: BACKUP_KEEP_DAYS
            value: {{ $b.keepDays | quote }}
          {{- if eq $b.target "s3" }}
          - name: BACKUP_TARGET
            value: s3
          - name: BACKUP_S3_ENDPOINT
            value: {{ $b.s3.endpoint | quote }}
          - name: BACKUP_S3_BUCKET
            value: {{ $b.s3.bucket | quote }}
          - name: BACKUP_S3_PREFIX
            value: {{ $b.s3.prefix | quote }}
          - name: BACKUP_S3_REGION
            value: {{ $b.s3.region | quote }}
          - name: AWS_ACCESS_KEY_ID
            valueFrom:
              secretKeyRef:
                name: {{ $b.s3.existingSecret }}
                key: {{ $b.s3.accessKeyIdKey }}
          - name: AWS_SECRET_ACCESS_KEY
            valueFrom:
              secretKeyRef:
                name: {{ $b.s3.existingSecret }}
                key: {{ $b.s3.secretAccessKeyKey }}
          {{- else }}
          - name: BACKUP_TARGET
            value: directory
          - name: BACKUP_DIR
            value: /backups
          {{- end }}
          {{- with $b.encryption.existingSecret }}
          - name: BACKUP_ENCRYPTION_KEY
            valueFrom:
              secretKeyRef:
                name: {{ . }}
                key: {{ $b.encryption.secretKey }}
          {{- end }}
        resources:
          {{- toYaml $b.resources | nindent 10 }}
        volumeMounts:
          - name: tmp
            mountPath: /tmp
          {{- if eq $b.target "pvc" }}
          - name: backups
            mountPath: /backups
          {{- end }}
    volumes:
      - name: tmp
        emptyDir:
          sizeLimit: {{ $b.tmpSizeLimit }}
      {{- if eq $b.target "pvc" }}
      - name: backups
        persistentVolumeClaim:
          claimName: {{ $b.pvc.existingClaim | default (printf "%s-backups" (include "common.names.fullname" $root)) }}
      {{- end }}
{{- end -}}

{{/*
An alert's `for:` window: monitoring.prometheusRule.for.<alert> when set, else DEFAULT. Records the
alert in STATE.alerts, so that the PrometheusRule can refuse a name there that no alert has.
Usage: {{ include "task-manager.alertFor" (list STATE ALERT DEFAULT) }}   STATE: (dict "root" $ "alerts" list)
*/}}
{{- define "task-manager.alertFor" -}}
{{- $state := index . 0 }}
{{- $alert := index . 1 }}
{{- $_ := set $state "alerts" (append $state.alerts $alert) }}
{{- dig $alert (index . 2) ($state.root.Values.monitoring.prometheusRule.for | default dict) -}}
{{- end -}}

{{/*
global.tracing as JSON, with its defaults when the values lack it: `helm upgrade --reuse-values`
from a release before 0.4.0 brings that release's values, which have no global.tracing.
Usage: {{- $tracing := include "task-manager.tracing" . | fromJson }}
*/}}
{{- define "task-manager.tracing" -}}
{{- dig "tracing" (dict "enabled" false "endpoint" "") .Values.global | toJson -}}
{{- end -}}
