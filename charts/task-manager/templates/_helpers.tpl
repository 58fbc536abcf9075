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
{{- $values := index .root.Values .name -}}
{{- $chart := dict "Name" .name "Version" .root.Chart.Version "AppVersion" .root.Chart.AppVersion -}}
{{- include "tm.fullname" (dict "Values" $values "Chart" $chart "Release" .root.Release) -}}
{{- end -}}

{{/* The backend API URL the frontend calls. */}}
{{- define "task-manager.backendApiUrl" -}}
{{- $port := index .Values "backend-api" "service" "port" | default 5000 -}}
{{- printf "http://%s:%v" (include "task-manager.componentFullname" (dict "root" . "name" "backend-api")) $port -}}
{{- end -}}

{{/* PGHOST: the external host, else the bundled PostgreSQL Service. */}}
{{- define "task-manager.dbHost" -}}
{{- default (include "task-manager.componentFullname" (dict "root" . "name" "postgresql")) .Values.global.database.host -}}
{{- end -}}

{{/* The test pods' image. */}}
{{- define "task-manager.testImage" -}}
{{- printf "%s:%s" .Values.tests.image.repository (default .Chart.AppVersion .Values.tests.image.tag | toString) -}}
{{- end -}}
