{{/* Fails on a database configuration that names no database, or two, naming the value to set. */}}
{{- define "task-manager.validate" -}}
{{- $db := include "common.database" . | fromJson }}
{{- if and (eq $db.mode "bundled") (not .Values.postgresql.enabled) }}
{{- fail (printf "postgresql.enabled=false needs another database: set global.database.mode to external (with global.database.host) or cloudnative-pg") }}
{{- end }}
{{- if and (ne $db.mode "bundled") .Values.postgresql.enabled }}
{{- fail (printf "global.database.mode=%s%s runs no bundled PostgreSQL: set postgresql.enabled=false too" $db.mode (ternary " (global.database.host is set)" "" (ne $db.mode .Values.global.database.mode))) }}
{{- end }}
{{- if and (eq $db.mode "external") (not $db.host) }}
{{- fail "global.database.mode=external needs global.database.host (and its password or existingSecret)" }}
{{- end }}
{{- if and (eq $db.mode "cloudnative-pg") $db.host }}
{{- fail "global.database.host is set while global.database.mode=cloudnative-pg, whose database is the Cluster's: leave global.database.host empty" }}
{{- end }}
{{- if eq $db.mode "cloudnative-pg" }}
{{- include "task-manager.cloudnativePg.validate" . }}
{{- end }}
{{- $tracing := include "common.tracing" . | fromJson }}
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

{{/* PGHOST: the external host, the CloudNativePG primary's Service (its Pooler's, when on), else the bundled PostgreSQL Service. */}}
{{- define "task-manager.dbHost" -}}
{{- $db := include "common.database" . | fromJson }}
{{- if eq $db.mode "external" -}}
{{- $db.host -}}
{{- else if eq $db.mode "cloudnative-pg" -}}
{{- include "common.names.cnpgCluster" . }}{{ ternary "-pooler-rw" "-rw" .Values.cloudnativePg.pooler.enabled -}}
{{- else -}}
{{- include "task-manager.componentFullname" (dict "root" . "name" "postgresql") -}}
{{- end -}}
{{- end -}}

{{/* Fails on cloudnative-pg values that cannot work, naming the value, and when the cluster lacks the operator or the plugin they need. */}}
{{- define "task-manager.cloudnativePg.validate" -}}
{{- $cnpg := .Values.cloudnativePg }}
{{- if not (.Capabilities.APIVersions.Has "postgresql.cnpg.io/v1/Cluster") }}
{{- fail "global.database.mode=cloudnative-pg needs the CloudNativePG operator, and this cluster has no postgresql.cnpg.io/v1 Cluster: install the operator first (https://cloudnative-pg.io/documentation/current/installation_upgrade/; the chart README, High availability)" }}
{{- end }}
{{- if .Values.global.database.password }}
{{- fail "global.database.password is not used with global.database.mode=cloudnative-pg: the operator generates the password (Secret <release>-postgresql-app), or set global.database.existingSecret to a kubernetes.io/basic-auth Secret" }}
{{- end }}
{{- if and $cnpg.synchronous.enabled (ge (int $cnpg.synchronous.number) (int $cnpg.instances)) }}
{{- fail (printf "cloudnativePg.synchronous.number (%d) must be below cloudnativePg.instances (%d): that many replicas confirm each commit; for a single instance set cloudnativePg.synchronous.enabled=false" (int $cnpg.synchronous.number) (int $cnpg.instances)) }}
{{- end }}
{{- if or $cnpg.backup.enabled $cnpg.recovery.enabled }}
{{- $why := ternary "cloudnativePg.backup.enabled" "cloudnativePg.recovery.enabled" $cnpg.backup.enabled }}
{{- if not (.Capabilities.APIVersions.Has "barmancloud.cnpg.io/v1/ObjectStore") }}
{{- fail (printf "%s needs the Barman Cloud plugin of CloudNativePG, and this cluster has no barmancloud.cnpg.io/v1 ObjectStore: install the plugin first (https://cloudnative-pg.io/plugin-barman-cloud/docs/installation/)" $why) }}
{{- end }}
{{- range $key := list "endpoint" "bucket" "existingSecret" }}
{{- if not (index $.Values.backup.s3 $key) }}
{{- fail (printf "backup.s3.%s is required with %s: the Cluster's backups go to that S3 bucket" $key $why) }}
{{- end }}
{{- end }}
{{- end }}
{{- if $cnpg.recovery.enabled }}
{{- if not $cnpg.recovery.serverName }}
{{- fail "cloudnativePg.recovery.serverName is required with cloudnativePg.recovery.enabled: the server name the Cluster to recover from backed up under" }}
{{- end }}
{{- if and $cnpg.backup.enabled (eq $cnpg.recovery.serverName ($cnpg.backup.serverName | default (include "common.names.cnpgCluster" .))) }}
{{- fail (printf "cloudnativePg.backup.serverName: the recovered Cluster would archive its WAL under %s, the server it recovers from; set another name" $cnpg.recovery.serverName) }}
{{- end }}
{{- end }}
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
