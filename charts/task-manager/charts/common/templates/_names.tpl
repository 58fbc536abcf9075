{{/*
Names. Every helper of this library takes the calling chart's root context (`.`) unless its Params
say otherwise, so `.Chart` and `.Values` are the caller's. From the umbrella, a component's context
is `.Subcharts.<name>` (e.g. `include "common.names.fullname" .Subcharts.frontend`).
*/}}

{{/*
The chart name, or `nameOverride`.
Usage: {{ include "common.names.name" . }}
*/}}
{{- define "common.names.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The full name: `fullnameOverride`, else <release>-<name> (just <release> when it already contains
the name, so release `task-manager` gives `task-manager-frontend` and the umbrella `task-manager`).
Usage: {{ include "common.names.fullname" . }}
*/}}
{{- define "common.names.fullname" -}}
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

{{/*
<chart>-<version>, the `helm.sh/chart` label.
Usage: {{ include "common.names.chart" . }}
*/}}
{{- define "common.names.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The ServiceAccount the pods run as: `serviceAccount.name`, else the full name when
`serviceAccount.create`, else `default`.
Usage: {{ include "common.names.serviceAccount" . }}
*/}}
{{- define "common.names.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "common.names.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
The umbrella's objects every component reads, named from the release alone so that a subchart
rendered on its own names the same objects: the ConfigMap with the app configuration (PG*,
BACKEND_API_URL, settings) and the Secret with the database password (`global.database.existingSecret`,
else, in `cloudnative-pg` mode, the `<cluster>-app` Secret the operator generates, else <release>-db) with its key.
Usage: {{ include "common.names.configMap" . }}  {{ include "common.names.dbSecret" . }}  {{ include "common.names.dbSecretKey" . }}
*/}}
{{- define "common.names.configMap" -}}
{{- printf "%s-config" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "common.names.dbSecret" -}}
{{- $db := include "common.database" . | fromJson }}
{{- if $db.existingSecret -}}
{{- $db.existingSecret -}}
{{- else if eq $db.mode "cloudnative-pg" -}}
{{- printf "%s-app" (include "common.names.cnpgCluster" .) -}}
{{- else -}}
{{- printf "%s-db" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "common.names.dbSecretKey" -}}
{{- (include "common.database" . | fromJson).existingSecretPasswordKey -}}
{{- end -}}


{{/*
Name of the CloudNativePG Cluster (global.database.mode=cloudnative-pg), from the release alone so
that every component names it alike. The operator derives its Services (`-rw`, `-ro`, `-r`), its
Secrets (`-app`, ...) and its pods from it; 50 characters leave room for those suffixes.
Usage: {{ include "common.names.cnpgCluster" . }}
*/}}
{{- define "common.names.cnpgCluster" -}}
{{- printf "%s-postgresql" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}