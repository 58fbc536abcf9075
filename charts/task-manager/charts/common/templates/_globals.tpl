{{/*
The global settings, read with defaults so that a subchart rendered or linted on its own (which
has no umbrella to set them) still renders. The umbrella's values.yaml documents and sets every one
of them; these defaults are the same values (tests/chart/subcharts.test.ts renders each subchart alone
and compares).
*/}}

{{/*
`global.database` over its defaults, as JSON, its `mode` the one in effect.
Usage: {{ $db := include "common.database" . | fromJson }}{{ $db.port }}
*/}}
{{- define "common.database" -}}
{{- $defaults := dict "mode" "bundled" "host" "" "port" 5432 "name" "taskmanager" "user" "taskmanager" "password" "" "existingSecret" "" "existingSecretPasswordKey" "password" "sslmode" "disable" -}}
{{- $db := merge (deepCopy (dig "database" dict (.Values.global | default dict))) $defaults -}}
{{- /* Before 0.4.0 a host alone chose the external database; it still does. */ -}}
{{- if and $db.host (eq $db.mode "bundled") }}{{ $_ := set $db "mode" "external" }}{{ end -}}
{{- toJson $db -}}
{{- end -}}

{{/*
`global.tracing` over its defaults, as JSON: `helm upgrade --reuse-values` from a release before
0.4.0 brings values that have no `global.tracing`.
Usage: {{- $tracing := include "common.tracing" . | fromJson }}
*/}}
{{- define "common.tracing" -}}
{{- merge (deepCopy (dig "tracing" dict (.Values.global | default dict))) (dict "enabled" false "endpoint" "") | toJson -}}
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
