{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "kubesoak.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; the release name alone when it already contains the chart name. */}}
{{- define "kubesoak.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "kubesoak.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "kubesoak.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "kubesoak.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kubesoak.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one component (scheduler or worker). kubesoak.io/job is the Prometheus job name the
ServiceMonitor/PodMonitor take as jobLabel: the alerts select up{job="kubesoak-worker"}.
Call with (dict "root" $ "component" "worker").
*/}}
{{- define "kubesoak.componentSelectorLabels" -}}
{{ include "kubesoak.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "kubesoak.componentLabels" -}}
{{ include "kubesoak.labels" .root }}
app.kubernetes.io/component: {{ .component }}
kubesoak.io/job: kubesoak-{{ .component }}
{{- end }}

{{- define "kubesoak.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kubesoak.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "kubesoak.image" -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{- define "kubesoak.redisSecretName" -}}
{{- if .Values.redis.existingSecret }}
{{- .Values.redis.existingSecret }}
{{- else if .Values.redis.url }}
{{- printf "%s-redis" (include "kubesoak.fullname" .) }}
{{- else }}
{{- fail "kubesoak: set redis.existingSecret (a Secret holding the Redis URL) or redis.url" }}
{{- end }}
{{- end }}

{{- define "kubesoak.redisSecretKey" -}}
{{- if .Values.redis.existingSecret }}{{ .Values.redis.existingSecretKey }}{{ else }}redis-url{{ end }}
{{- end }}

{{/*
The kubesoak config file: config from the values, plus the keys the chart owns because the
pods' ports, probes and termination grace period depend on them.
*/}}
{{- define "kubesoak.configFile" -}}
{{- $config := deepCopy (default dict .Values.config) }}
{{- $redis := default dict $config.redis }}
{{- if hasKey $redis "url" }}
{{- fail "kubesoak: config.redis.url would put the Redis URL (and its password) in a ConfigMap: use redis.existingSecret or redis.url" }}
{{- end }}
{{- $scheduler := default dict $config.scheduler }}
{{- $worker := default dict $config.worker }}
{{- if hasKey $worker "gracePeriod" }}
{{- fail "kubesoak: set worker.gracePeriodSeconds instead of config.worker.gracePeriod (the pods' terminationGracePeriodSeconds follows it)" }}
{{- end }}
{{- if or (hasKey $scheduler "listen") (hasKey $config "metrics") (hasKey $config "api") }}
{{- fail "kubesoak: config.scheduler.listen, config.metrics and config.api are set by the chart: use scheduler.port and metrics.port" }}
{{- end }}
{{- $_ := set $scheduler "listen" (printf "0.0.0.0:%v" .Values.scheduler.port) }}
{{- $_ := set $worker "gracePeriod" (printf "%vs" .Values.worker.gracePeriodSeconds) }}
{{- $_ := set $config "redis" $redis }}
{{- $_ := set $config "scheduler" $scheduler }}
{{- $_ := set $config "worker" $worker }}
{{- $_ := set $config "metrics" (dict "host" "0.0.0.0" "port" .Values.metrics.port) }}
{{- $_ := set $config "api" (dict "url" (printf "http://%s-scheduler:%v" (include "kubesoak.fullname" .) .Values.scheduler.service.port)) }}
{{- toYaml $config }}
{{- end }}

{{/* Environment, volumes and mounts both components share. */}}
{{- define "kubesoak.env" -}}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "kubesoak.redisSecretName" . }}
      key: {{ include "kubesoak.redisSecretKey" . }}
# helm keeps caches and repository config under HOME; the root filesystem is read-only.
- name: HOME
  value: /tmp/home
- name: KUBECONFIG
{{- if .Values.kubeconfig.existingSecret }}
  value: /etc/kubesoak/kubeconfig/{{ .Values.kubeconfig.key }}
{{- else }}
  value: /etc/kubesoak/config/kubeconfig
{{- end }}
{{- end }}

{{- define "kubesoak.volumeMounts" -}}
- name: config
  mountPath: /etc/kubesoak/config
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if .Values.kubeconfig.existingSecret }}
- name: kubeconfig
  mountPath: /etc/kubesoak/kubeconfig
  readOnly: true
{{- end }}
{{- end }}

{{- define "kubesoak.volumes" -}}
- name: config
  configMap:
    name: {{ include "kubesoak.fullname" . }}-config
- name: tmp
  emptyDir: {}
{{- if .Values.kubeconfig.existingSecret }}
- name: kubeconfig
  secret:
    secretName: {{ .Values.kubeconfig.existingSecret }}
{{- end }}
{{- end }}
