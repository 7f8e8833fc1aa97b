{{/*
Names and labels.
*/}}
{{- define "workers.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "workers.fullname" -}}
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

{{- define "workers.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "workers.selectorLabels" -}}
app.kubernetes.io/name: {{ include "workers.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "workers.labels" -}}
helm.sh/chart: {{ include "workers.chart" . }}
{{ include "workers.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "workers.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "workers.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "workers.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The Secret whose keys become environment variables: the existing one, or the chart's own when it has any data.
Empty when there is none.
*/}}
{{- define "workers.secretName" -}}
{{- if .Values.secrets.existingSecret -}}
{{- .Values.secrets.existingSecret -}}
{{- else if (include "workers.secretData" . | trim) -}}
{{- include "workers.fullname" . -}}
{{- end -}}
{{- end -}}

{{/*
The chart's Secret data, one line per environment variable in the .NET form (Workers__Section__Key), values quoted.
*/}}
{{- define "workers.secretData" -}}
{{- range $index, $token := .Values.secrets.apiTokens }}
{{ printf "Workers__Service__ApiTokens__%d" $index }}: {{ $token | quote }}
{{- end }}
{{- range $profile, $env := .Values.secrets.profileEnv }}
{{- range $name, $value := $env }}
{{ printf "Workers__Profiles__%s__Env__%s" $profile $name }}: {{ $value | quote }}
{{- end }}
{{- end }}
{{- range $name, $value := .Values.secrets.extra }}
{{ $name }}: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/*
A whole number of seconds as a .NET TimeSpan ("d.hh:mm:ss").
*/}}
{{- define "workers.timespan" -}}
{{- $s := int . -}}
{{- printf "%d.%02d:%02d:%02d" (div $s 86400) (mod (div $s 3600) 24) (mod (div $s 60) 60) (mod $s 60) -}}
{{- end -}}

{{/*
A .NET TimeSpan as values.schema.json admits it ([-][d.]hh:mm[:ss[.fffffff]]) in whole seconds, rounded up; a negative
one is 0.
*/}}
{{- define "workers.timespanSeconds" -}}
{{- $text := toString . -}}
{{- if hasPrefix "-" $text -}}
0
{{- else -}}
{{- $parts := splitList ":" $text -}}
{{- $head := splitList "." (first $parts) -}}
{{- $days := 0 -}}
{{- if eq (len $head) 2 -}}
{{- $days = atoi (first $head) -}}
{{- end -}}
{{- $hours := atoi (last $head) -}}
{{- $minutes := atoi (index $parts 1) -}}
{{- $seconds := 0 -}}
{{- if eq (len $parts) 3 -}}
{{- $second := splitList "." (last $parts) -}}
{{- $seconds = atoi (first $second) -}}
{{- if and (eq (len $second) 2) (gt (atoi (last $second)) 0) -}}
{{- $seconds = add1 $seconds -}}
{{- end -}}
{{- end -}}
{{- add (mul $days 86400) (mul $hours 3600) (mul $minutes 60) $seconds -}}
{{- end -}}
{{- end -}}

{{/*
The service's defaults that its shutdown timeout is computed from (src/Workers/Profiles/ProfileTimeouts.cs and
src/Workers/Hosting/WorkersWebApplication.cs; ChartTemplateTests keeps them equal): Timeouts:GracefulStop, which the
image's profiles do not set, and the seconds added to DrainDeadline + 4 × the longest GracefulStop.
*/}}
{{- define "workers.serviceGracefulStopSeconds" -}}3{{- end -}}
{{- define "workers.serviceShutdownExtraSeconds" -}}15{{- end -}}

{{/*
The longest Timeouts:GracefulStop in whole seconds: the service's default, or a longer profiles.<name>.timeouts.gracefulStop.
*/}}
{{- define "workers.longestGracefulStopSeconds" -}}
{{- $longest := int (include "workers.serviceGracefulStopSeconds" .) -}}
{{- range $name, $profile := .Values.profiles -}}
{{- if $profile -}}
{{- $timeouts := default (dict) $profile.timeouts -}}
{{- if $timeouts.gracefulStop -}}
{{- $longest = max $longest (int (include "workers.timespanSeconds" $timeouts.gracefulStop)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $longest -}}
{{- end -}}

{{/*
terminationGracePeriodSeconds (values.yaml, shutdown): the service's own shutdown timeout, DrainDeadline + 4 × the
longest GracefulStop + 15 s (the dispatcher's 10 s wait for cancelled turns is inside the 15 s), plus marginSeconds.
*/}}
{{- define "workers.terminationGracePeriodSeconds" -}}
{{- $drain := int .Values.shutdown.drainDeadlineSeconds -}}
{{- $stop := mul 4 (int (include "workers.longestGracefulStopSeconds" .)) -}}
{{- add $drain $stop (int (include "workers.serviceShutdownExtraSeconds" .)) (int .Values.shutdown.marginSeconds) -}}
{{- end -}}

{{/*
Whether a profile is configured in values: a non-null profiles.<name>.
*/}}
{{- define "workers.configured" -}}
{{- $profile := get .root.Values.profiles .name -}}
{{- if $profile -}}true{{- end -}}
{{- end -}}

{{/*
Whether a profile of values is disabled (enabled: false); the service's default is enabled.
*/}}
{{- define "workers.disabled" -}}
{{- if and (kindIs "map" .) (hasKey . "enabled") (not .enabled) -}}true{{- end -}}
{{- end -}}

{{/*
Memory of the container in MiB (the formula is documented in values.yaml, resources):
serviceMiB + (Σ enabled profiles maxProcesses × memoryPerProcessMiB + Σ shipped profiles not in profiles) × (100 + headroomPercent) / 100.
*/}}
{{- define "workers.memoryMiB" -}}
{{- $memory := .Values.resources.memory -}}
{{- $agents := 0 -}}
{{- range $name, $profile := .Values.profiles -}}
{{- if and $profile (not (include "workers.disabled" $profile)) -}}
{{- $pool := default (dict) $profile.pool -}}
{{- $maxProcesses := int (default 8 $pool.maxProcesses) -}}
{{- $perProcess := int (default $memory.defaultPerProcessMiB $profile.memoryPerProcessMiB) -}}
{{- $agents = add $agents (mul $maxProcesses $perProcess) -}}
{{- end -}}
{{- end -}}
{{- $image := .Values.imageProfiles -}}
{{- range $name := $image.names -}}
{{- if not (include "workers.configured" (dict "root" $ "name" $name)) -}}
{{- $agents = add $agents (mul (int $image.maxProcesses) (int $image.memoryPerProcessMiB)) -}}
{{- end -}}
{{- end -}}
{{- add (int $memory.serviceMiB) (div (mul $agents (add 100 (int $memory.headroomPercent))) 100) -}}
{{- end -}}

{{/*
appsettings.Production.json: Logging, Workers:Service, Workers:Maintenance and Workers:Profiles from values. Keys are
camelCase throughout (the .NET binder ignores case, but one JSON file must not hold the same key twice). Shipped
profiles that values do not configure get the imageProfiles pool; configured ones get what values say (memoryPerProcessMiB
is the chart's own and is left out).
*/}}
{{- define "workers.appsettings" -}}
{{- $profiles := dict -}}
{{- $image := .Values.imageProfiles -}}
{{- range $name := $image.names -}}
{{- if not (include "workers.configured" (dict "root" $ "name" $name)) -}}
{{- $_ := set $profiles $name (dict "pool" (dict "minReady" (int $image.minReady) "maxReady" (int $image.maxReady) "maxProcesses" (int $image.maxProcesses))) -}}
{{- end -}}
{{- end -}}
{{- range $name, $profile := .Values.profiles -}}
{{- if $profile -}}
{{- $_ := set $profiles $name (omit (deepCopy $profile) "memoryPerProcessMiB") -}}
{{- end -}}
{{- end -}}
{{- $maintenance := mustMergeOverwrite (deepCopy (default (dict) .Values.config.maintenance)) (dict "drainDeadline" (include "workers.timespan" .Values.shutdown.drainDeadlineSeconds)) -}}
{{- $workers := dict "service" (deepCopy (default (dict) .Values.config.service)) "maintenance" $maintenance "profiles" $profiles -}}
{{- $root := dict "Logging" (dict "LogLevel" (default (dict) .Values.config.logLevel)) "Workers" $workers -}}
{{- toPrettyJson $root -}}
{{- end -}}

{{/*
What checksum/config is computed from: the rendered settings without the pool settings the service reloads in place
(every profile's pool but its schedules, whose cron triggers are set up at start, and its workingDirectories, whose warm
sets are made at start), so that a change of pool sizes
reaches the running pod through the mounted ConfigMap and any other change rolls the pod.
*/}}
{{- define "workers.restartConfig" -}}
{{- $config := include "workers.appsettings" . | fromJson -}}
{{- range $name, $profile := $config.Workers.profiles -}}
{{- if kindIs "map" $profile.pool -}}
{{- $_ := set $profile "pool" (pick $profile.pool "schedules" "workingDirectories") -}}
{{- end -}}
{{- end -}}
{{- toJson $config -}}
{{- end -}}

{{/*
Refuses values the service cannot run with. Included by the Deployment.
*/}}
{{- define "workers.validate" -}}
{{- if eq .Values.store.kind "postgres" -}}
{{- fail "store.kind=postgres: the Workers service has no PostgreSQL store yet (specs/store.md: SQLite only). The values are named so that a later chart can use them; today use store.kind=sqlite with replicaCount=1." -}}
{{- end -}}
{{- if gt (int .Values.replicaCount) 1 -}}
{{- fail (printf "replicaCount=%d needs a shared store: store.kind=sqlite is one SQLite file that exactly one pod may use (the service locks its data directory). Set replicaCount=1; many replicas need store.kind=postgres, which is not implemented yet." (int .Values.replicaCount)) -}}
{{- end -}}
{{- range $name, $profile := .Values.profiles -}}
{{- if and $profile (not (include "workers.disabled" $profile)) -}}
{{- if not (has $name $.Values.imageProfiles.names) -}}
{{- if not $profile.family -}}
{{- fail (printf "profiles.%s.family is required for a profile the image does not ship (claude-stream-json, acp-json-rpc, json-event-stream or plain)." $name) -}}
{{- end -}}
{{- if not $profile.command -}}
{{- fail (printf "profiles.%s.command is required for a profile the image does not ship." $name) -}}
{{- end -}}
{{- end -}}
{{- $pool := default (dict) $profile.pool -}}
{{- $minReady := int (ternary $pool.minReady 1 (hasKey $pool "minReady")) -}}
{{- $maxReady := int (ternary $pool.maxReady 4 (hasKey $pool "maxReady")) -}}
{{- $maxProcesses := int (ternary $pool.maxProcesses 8 (hasKey $pool "maxProcesses")) -}}
{{- if gt $minReady $maxReady -}}
{{- fail (printf "profiles.%s.pool: minReady %d is above maxReady %d (the service defaults are 1 and 4)." $name $minReady $maxReady) -}}
{{- end -}}
{{- if gt $maxReady $maxProcesses -}}
{{- fail (printf "profiles.%s.pool: maxReady %d is above maxProcesses %d (the service defaults are 4 and 8)." $name $maxReady $maxProcesses) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $image := .Values.imageProfiles -}}
{{- if or (gt (int $image.minReady) (int $image.maxReady)) (gt (int $image.maxReady) (int $image.maxProcesses)) -}}
{{- fail "imageProfiles: minReady ≤ maxReady ≤ maxProcesses is required." -}}
{{- end -}}
{{- end -}}
