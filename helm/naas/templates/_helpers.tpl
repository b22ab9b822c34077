{{/*
Named templates of the naas chart (checked in CI with `helm lint --strict` and
`helm template`; see helm/README.md).
*/}}

{{- define "naas.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (default .Chart.Name .Values.nameOverride) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (default .Chart.Name .Values.nameOverride) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of one component: (dict "root" $ "component" "api") */}}
{{- define "naas.labels" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{- define "naas.selectorLabels" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Every pod of this release, whatever its component. */}}
{{- define "naas.releaseSelector" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "naas.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "naas.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Image reference of one service: (dict "root" $ "name" "api") */}}
{{- define "naas.image" -}}
{{- $image := index .root.Values.image.names .name -}}
{{- if .root.Values.image.registry -}}
{{- $image = printf "%s/%s" .root.Values.image.registry $image -}}
{{- end -}}
{{- if .root.Values.image.digest -}}
{{- printf "%s@%s" $image .root.Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{- define "naas.secretName" -}}
{{- default (printf "%s-secrets" (include "naas.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "naas.natsSecretName" -}}
{{- default (printf "%s-nats" (include "naas.fullname" .)) .Values.nats.auth.existingSecret -}}
{{- end -}}

{{- define "naas.redisSecretName" -}}
{{- default (printf "%s-redis" (include "naas.fullname" .)) .Values.redis.existingSecret -}}
{{- end -}}

{{/* Environment shared by the services: (dict "root" $ "service" "api") */}}
{{- define "naas.env" -}}
- name: NAAS_NATS__USER
  value: {{ index .root.Values.nats.auth.users .service | quote }}
- name: NAAS_NATS__PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "naas.natsSecretName" .root }}
      key: {{ printf "nats-%s-password" .service }}
- name: NAAS_REDIS__URL
  valueFrom:
    secretKeyRef:
      name: {{ include "naas.redisSecretName" .root }}
      key: redis-url
{{- if .root.Values.redis.cluster }}
- name: NAAS_REDIS__CLUSTER
  value: "true"
{{- end }}
{{- if .root.Values.redis.sentinel }}
- name: NAAS_REDIS__SENTINEL
  value: {{ .root.Values.redis.sentinel | quote }}
{{- end }}
- name: NAAS_ENCRYPTION_KEY_FILE
  value: /etc/naas/secrets/encryption-key
{{- if eq .service "api" }}
- name: NAAS_ADMIN_SECRET_FILE
  value: /etc/naas/secrets/admin-secret
{{- if .root.Values.api.tls.secretName }}
- name: NAAS_TLS__CERT_FILE
  value: /etc/naas/tls/tls.crt
- name: NAAS_TLS__KEY_FILE
  value: /etc/naas/tls/tls.key
{{- end }}
{{- if .root.Values.api.tls.allowSelfSigned }}
- name: NAAS_TLS__ALLOW_SELF_SIGNED
  value: "true"
{{- end }}
{{- if .root.Values.api.tls.clientCaSecretName }}
- name: NAAS_TLS__CLIENT_CA_FILE
  value: /etc/naas/client-ca/ca.crt
{{- end }}
{{- end }}
{{- if .root.Values.nats.ca.secretName }}
- name: NAAS_NATS__CA_FILE
  value: /etc/naas/nats-ca/ca.crt
{{- end }}
{{- if .root.Values.redis.ca.secretName }}
- name: NAAS_REDIS__CA_FILE
  value: /etc/naas/redis-ca/ca.crt
{{- end }}
{{- end -}}

{{/* Mounts matching naas.volumes. */}}
{{- define "naas.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: secrets
  mountPath: /etc/naas/secrets
  readOnly: true
{{- if .Values.nats.ca.secretName }}
- name: nats-ca
  mountPath: /etc/naas/nats-ca
  readOnly: true
{{- end }}
{{- if .Values.redis.ca.secretName }}
- name: redis-ca
  mountPath: /etc/naas/redis-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* The key ring, and the bootstrap admin's password for the API only: (dict "root" $ "service" "api") */}}
{{- define "naas.volumes" -}}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
- name: secrets
  secret:
    secretName: {{ include "naas.secretName" .root }}
    defaultMode: 0440
    items:
      - key: encryption-key
        path: encryption-key
      {{- if eq .service "api" }}
      - key: admin-secret
        path: admin-secret
      {{- end }}
{{- if .root.Values.nats.ca.secretName }}
- name: nats-ca
  secret:
    secretName: {{ .root.Values.nats.ca.secretName }}
    items:
      - key: {{ .root.Values.nats.ca.key }}
        path: ca.crt
{{- end }}
{{- if .root.Values.redis.ca.secretName }}
- name: redis-ca
  secret:
    secretName: {{ .root.Values.redis.ca.secretName }}
    items:
      - key: {{ .root.Values.redis.ca.key }}
        path: ca.crt
{{- end }}
{{- end -}}

{{/* Annotations that roll the pods when their configuration changes. */}}
{{- define "naas.configChecksum" -}}
checksum/config: {{ include "naas.configData" . | sha256sum }}
{{- end -}}
