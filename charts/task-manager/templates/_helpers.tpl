{{/* Fails on a database configuration that names no database, or two. */}}
{{- define "task-manager.validate" -}}
{{- if and (not .Values.postgresql.enabled) (not .Values.global.database.host) }}
{{- fail "postgresql.enabled=false needs an external database: set global.database.host (and its password or existingSecret)" }}
{{- end }}
{{- if and .Values.postgresql.enabled .Values.global.database.host }}
{{- fail "global.database.host is set while postgresql.enabled=true: set postgresql.enabled=false to use the external database" }}
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
