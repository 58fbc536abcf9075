{{/*
A Secret whose one value is given, else kept from the live Secret (an upgrade never rotates it),
else generated once (random alphanumerics).
Usage:
  {{- include "common.secrets.kept" (dict "name" $name "key" "password" "values" .Values.global.database "field" "password" "length" 32 "context" .) }}
Params:
  name, key        the Secret and the key of the value in it
  values, field    where the given value is read: (index values field); empty means keep or generate
  length           length of a generated value
  remember         true: write a kept or generated value back to (index values field), so that a
                   template rendering this Secret again in the same release (a checksum) gets the
                   same value, not a second random one
  minLength, what  fail unless the value has at least minLength characters, naming the value `what`
  failOnGenerate   fail with this message instead of generating (a value that must be given)
  annotations      annotations of the Secret (optional)
  context          the chart's root context
*/}}
{{- define "common.secrets.kept" -}}
{{- $value := index .values .field }}
{{- if not $value }}
{{- $live := lookup "v1" "Secret" .context.Release.Namespace .name }}
{{- if and $live $live.data (hasKey $live.data .key) }}
{{- $value = index $live.data .key | b64dec }}
{{- else if .failOnGenerate }}
{{- fail .failOnGenerate }}
{{- else }}
{{- $value = randAlphaNum (int .length) }}
{{- end }}
{{- if .remember }}
{{- $_ := set .values .field $value }}
{{- end }}
{{- end }}
{{- if and .minLength (lt (len $value) (int .minLength)) }}
{{- fail (printf "%s must be at least %v characters" .what .minLength) }}
{{- end }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels.standard" .context | nindent 4 }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
type: Opaque
data:
  {{ .key }}: {{ $value | b64enc | quote }}
{{- end -}}
