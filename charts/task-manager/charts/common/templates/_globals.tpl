{{/*
The global settings, read with defaults so that a subchart rendered or linted on its own (which
has no umbrella to set them) still renders. The umbrella's values.yaml documents and sets every one
of them; these defaults are the same values (tests/chart/subcharts.test.ts renders each subchart alone
and compares).
*/}}

{{/*
`global.database` over its defaults, as JSON.
Usage: {{ $db := include "common.database" . | fromJson }}{{ $db.port }}
*/}}
{{- define "common.database" -}}
{{- $defaults := dict "host" "" "port" 5432 "name" "taskmanager" "user" "taskmanager" "password" "" "existingSecret" "" "existingSecretPasswordKey" "password" "sslmode" "disable" -}}
{{- merge (deepCopy (dig "database" dict (.Values.global | default dict))) $defaults | toJson -}}
{{- end -}}

{{/*
Whether NetworkPolicies are rendered (`global.networkPolicy.enabled`, default false): "true" or "".
Usage: {{- if include "common.networkPolicy.enabled" . }}
*/}}
{{- define "common.networkPolicy.enabled" -}}
{{- if dig "networkPolicy" "enabled" false (.Values.global | default dict) }}true{{ end -}}
{{- end -}}

{{/*
Rolls pods when the shared configuration changes: the umbrella's ConfigMap and DB Secret are made
from `global` values (and the release name), which is all a subchart can see, so their checksum
is the checksum of those inputs. The global image settings are left out: they are in no ConfigMap
or Secret, and a change to them changes the pod spec (image, pull secrets) anyway.
Usage: checksum/config: {{ include "common.checksums.shared" . }}
*/}}
{{- define "common.checksums.shared" -}}
{{- dict "global" (omit (.Values.global | default dict) "imageRegistry" "imagePullSecrets") "release" .Release.Name | toJson | sha256sum -}}
{{- end -}}
