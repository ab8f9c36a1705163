
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mlqd' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mlqd'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mlqd' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('post', 'post', [CompletionResultType]::ParameterValue, 'Post a job and print its id')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a job''s state, progress, attempts and history')
            [CompletionResult]::new('result', 'result', [CompletionResultType]::ParameterValue, 'Write a finished job''s result bytes')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a pending or running job')
            [CompletionResult]::new('dlq', 'dlq', [CompletionResultType]::ParameterValue, 'List, requeue or purge dead jobs')
            [CompletionResult]::new('queues', 'queues', [CompletionResultType]::ParameterValue, 'Show every queue''s counts and limits; set limits (`queues limit`)')
            [CompletionResult]::new('jobs', 'jobs', [CompletionResultType]::ParameterValue, 'List a queue''s jobs in one state, a page at a time')
            [CompletionResult]::new('cron', 'cron', [CompletionResultType]::ParameterValue, 'Periodic jobs: set, list or remove schedules')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the HTTP API, /metrics and health probes')
            [CompletionResult]::new('worker', 'worker', [CompletionResultType]::ParameterValue, 'Run jobs')
            [CompletionResult]::new('reaper', 'reaper', [CompletionResultType]::ParameterValue, 'Run the leader-elected maintenance only (lost jobs, due jobs, retention)')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'One-machine mode: Redis (managed), the HTTP API, a worker and the reaper in one process')
            [CompletionResult]::new('workers', 'workers', [CompletionResultType]::ParameterValue, 'Show the live workers')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Live view of queues, workers, throughput and the reaper leader')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Load generator: enqueue and drain throughput, start latency, Redis cost per job')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page, or write every page with --dir')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlqd;post' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Queue to post to')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Queue to post to')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'Priority from -100 to 100; higher runs first')
            [CompletionResult]::new('--delay', '--delay', [CompletionResultType]::ParameterName, 'Start no earlier than this from now (e.g. 30s, 5m)')
            [CompletionResult]::new('--at', '--at', [CompletionResultType]::ParameterName, 'Start no earlier than this instant (RFC 3339)')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries after the first failure (default 3)')
            [CompletionResult]::new('--max-stalls', '--max-stalls', [CompletionResultType]::ParameterName, 'Lost leases (worker crashes) tolerated before the job is dead (default 3)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Execution limit per attempt')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Idempotency key: posting again with it (within 24h) returns the first job')
            [CompletionResult]::new('--result-ttl', '--result-ttl', [CompletionResultType]::ParameterName, 'How long to keep the result (default 24h)')
            [CompletionResult]::new('--callback', '--callback', [CompletionResultType]::ParameterName, 'URL to POST the job''s status to once it is finished')
            [CompletionResult]::new('--content-type', '--content-type', [CompletionResultType]::ParameterName, 'Content type of the payload; anything but JSON is sent as raw bytes')
            [CompletionResult]::new('--max-payload', '--max-payload', [CompletionResultType]::ParameterName, 'Largest payload accepted')
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'Give up waiting after this long (exit 5)')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the job to finish and print its result')
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'Write the job''s streamed output to stdout as it arrives (a new attempt is noted on stderr), then exit with the job''s exit code (0 succeeded, 3 dead or cancelled)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;status' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the status JSON (the same object as GET /v1/jobs/{id})')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;result' {
            [CompletionResult]::new('--wait-timeout', '--wait-timeout', [CompletionResultType]::ParameterName, 'Give up waiting after this long (exit 5)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write the result to this file instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file instead of stdout')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the job to finish')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Write the job''s streamed output instead, from its first chunk, as it arrives, then exit with the job''s exit code (0 succeeded, 3 dead or cancelled)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;cancel' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;dlq' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List dead jobs, newest first')
            [CompletionResult]::new('requeue', 'requeue', [CompletionResultType]::ParameterValue, 'Put dead jobs back in their queue with a fresh retry budget')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete dead jobs for good')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlqd;dlq;list' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only this queue')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Only this queue')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;dlq;requeue' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only this queue (with --all)')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Only this queue (with --all)')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Requeue every dead job (of `--queue`, or of all queues)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;dlq;purge' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only this queue')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Only this queue')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;dlq;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List dead jobs, newest first')
            [CompletionResult]::new('requeue', 'requeue', [CompletionResultType]::ParameterValue, 'Put dead jobs back in their queue with a fresh retry budget')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete dead jobs for good')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlqd;dlq;help;list' {
            break
        }
        'mlqd;dlq;help;requeue' {
            break
        }
        'mlqd;dlq;help;purge' {
            break
        }
        'mlqd;dlq;help;help' {
            break
        }
        'mlqd;queues' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('limit', 'limit', [CompletionResultType]::ParameterValue, 'Set, change or clear a queue''s limits (enforced across every worker)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlqd;queues;limit' {
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Most job starts per period: N/s, N/m or N/h (a token bucket)')
            [CompletionResult]::new('--burst', '--burst', [CompletionResultType]::ParameterName, 'Starts the rate lets save up while the queue is idle (default 1)')
            [CompletionResult]::new('--max-active', '--max-active', [CompletionResultType]::ParameterName, 'Most jobs of the queue running at once, across every worker')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--clear', '--clear', [CompletionResultType]::ParameterName, 'Clear every limit first (then apply the other flags, if any)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the queue''s limits as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;queues;help' {
            [CompletionResult]::new('limit', 'limit', [CompletionResultType]::ParameterValue, 'Set, change or clear a queue''s limits (enforced across every worker)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlqd;queues;help;limit' {
            break
        }
        'mlqd;queues;help;help' {
            break
        }
        'mlqd;jobs' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'The queue')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'The queue')
            [CompletionResult]::new('-s', '-s', [CompletionResultType]::ParameterName, 'scheduled, pending, active, retry, dead, succeeded or cancelled')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'scheduled, pending, active, retry, dead, succeeded or cancelled')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Jobs per page (1 to 500)')
            [CompletionResult]::new('--cursor', '--cursor', [CompletionResultType]::ParameterName, 'Where the page starts: the cursor the previous page printed')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: {"jobs":[status…],"next_cursor"}')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;cron' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Create or replace a schedule')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show every schedule: timing, queue, next and last run, last job')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a schedule (runs already posted stay in their queue)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlqd;cron;set' {
            [CompletionResult]::new('--every', '--every', [CompletionResultType]::ParameterName, 'Run every this long (at least 1s), counted from now')
            [CompletionResult]::new('--cron', '--cron', [CompletionResultType]::ParameterName, 'Run at the times a cron expression names: 5 fields (minute hour day month weekday), or 6 with seconds first')
            [CompletionResult]::new('--tz', '--tz', [CompletionResultType]::ParameterName, 'IANA time zone the cron expression is read in (default UTC)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Queue the runs are posted to')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Queue the runs are posted to')
            [CompletionResult]::new('--priority', '--priority', [CompletionResultType]::ParameterName, 'Priority of each run, from -100 to 100')
            [CompletionResult]::new('--max-retries', '--max-retries', [CompletionResultType]::ParameterName, 'Retries after a run''s first failure (default 3)')
            [CompletionResult]::new('--max-stalls', '--max-stalls', [CompletionResultType]::ParameterName, 'Lost leases a run tolerates before it is dead (default 3)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Execution limit per attempt')
            [CompletionResult]::new('--result-ttl', '--result-ttl', [CompletionResultType]::ParameterName, 'How long to keep each run''s result (default 24h)')
            [CompletionResult]::new('--callback', '--callback', [CompletionResultType]::ParameterName, 'URL to POST each run''s status to once it is finished')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the schedule as JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;cron;list' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;cron;rm' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;cron;help' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Create or replace a schedule')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show every schedule: timing, queue, next and last run, last job')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a schedule (runs already posted stay in their queue)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlqd;cron;help;set' {
            break
        }
        'mlqd;cron;help;list' {
            break
        }
        'mlqd;cron;help;rm' {
            break
        }
        'mlqd;cron;help;help' {
            break
        }
        'mlqd;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address to listen on (port 0 picks a free port; the address is printed)')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token every /v1 route requires (/healthz and /readyz stay open)')
            [CompletionResult]::new('--metrics-token', '--metrics-token', [CompletionResultType]::ParameterName, 'Bearer token /metrics requires (open when unset)')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'QUEUE=FILE: check that queue''s payloads against the JSON Schema in FILE (repeat)')
            [CompletionResult]::new('--max-body', '--max-body', [CompletionResultType]::ParameterName, 'Largest request body (payload) accepted (413 over it)')
            [CompletionResult]::new('--max-pending', '--max-pending', [CompletionResultType]::ParameterName, 'N or QUEUE=N: most waiting jobs (pending + scheduled + retry) a queue may hold before posts get 429; QUEUE=0 lifts the limit for one queue (repeat)')
            [CompletionResult]::new('--max-wait', '--max-wait', [CompletionResultType]::ParameterName, 'Longest ?wait= a request may ask for')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'On SIGTERM/SIGINT, how long in-flight requests may finish')
            [CompletionResult]::new('--redis-timeout', '--redis-timeout', [CompletionResultType]::ParameterName, 'Longest wait for one Redis answer; past it a request gets 503')
            [CompletionResult]::new('--recent', '--recent', [CompletionResultType]::ParameterName, 'Cancelled jobs per queue kept listable (GET /v1/queues/{queue}/jobs?state=cancelled), newest first (0: none)')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--allow-unauthenticated', '--allow-unauthenticated', [CompletionResultType]::ParameterName, 'Serve a non-loopback address without --token (anyone who reaches it can post jobs)')
            [CompletionResult]::new('--no-ui', '--no-ui', [CompletionResultType]::ParameterName, 'Do not serve the web dashboard at /ui')
            [CompletionResult]::new('--ui-read-only', '--ui-read-only', [CompletionResultType]::ParameterName, 'Read-only dashboard and API: every action (pause, cancel, requeue, purge, …) gets 403; reads and job submissions still work')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;worker' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Queue to take jobs from (repeat, or separate with commas)')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Queue to take jobs from (repeat, or separate with commas)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Jobs run at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Jobs run at once')
            [CompletionResult]::new('--workers', '--workers', [CompletionResultType]::ParameterName, 'Jobs run at once')
            [CompletionResult]::new('--builtin', '--builtin', [CompletionResultType]::ParameterName, 'A handler built into mlqd, for tests, demos and benchmarks')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Run jobs through CMD: one long-lived process per concurrency slot, speaking JSON Lines on stdin/stdout (split like a shell would, never run through one)')
            [CompletionResult]::new('--http', '--http', [CompletionResultType]::ParameterName, 'Run jobs by POSTing their payloads to a model server at URL')
            [CompletionResult]::new('--lease', '--lease', [CompletionResultType]::ParameterName, 'Lease length; renewed every third of it while the job runs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Execution limit for jobs that do not set their own')
            [CompletionResult]::new('--max-result', '--max-result', [CompletionResultType]::ParameterName, 'Largest result a handler may return')
            [CompletionResult]::new('--max-stream', '--max-stream', [CompletionResultType]::ParameterName, 'Bytes of streamed output (`emit`, exec `stream` lines) kept per job; beyond it the oldest chunks are trimmed and readers are told')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Jobs per handler call (dynamic batching)')
            [CompletionResult]::new('--batch-wait', '--batch-wait', [CompletionResultType]::ParameterName, 'How long to wait for a batch to fill')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'On SIGTERM/SIGINT, how long running jobs may finish before they are handed back')
            [CompletionResult]::new('--cancel-grace', '--cancel-grace', [CompletionResultType]::ParameterName, 'How long a cancelled job''s handler may go on before it is stopped')
            [CompletionResult]::new('--retry-backoff', '--retry-backoff', [CompletionResultType]::ParameterName, 'First retry delay; each further retry doubles it (×0.75–1.25 jitter)')
            [CompletionResult]::new('--retry-backoff-max', '--retry-backoff-max', [CompletionResultType]::ParameterName, 'Longest retry delay')
            [CompletionResult]::new('--worker-id', '--worker-id', [CompletionResultType]::ParameterName, 'Worker id (default host-pid-random)')
            [CompletionResult]::new('--callback-secret', '--callback-secret', [CompletionResultType]::ParameterName, 'Sign callbacks with this secret: X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics at http://ADDR/metrics')
            [CompletionResult]::new('--dead-max', '--dead-max', [CompletionResultType]::ParameterName, 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue''s totals (`trimmed`) and logged (0: no cap)')
            [CompletionResult]::new('--recent', '--recent', [CompletionResultType]::ParameterName, 'Succeeded (and cancelled) jobs per queue kept listable by `mlqd jobs` and the dashboard, newest first (0: none); older ones stay readable by id until they expire')
            [CompletionResult]::new('--breaker-threshold', '--breaker-threshold', [CompletionResultType]::ParameterName, 'Stop claiming after this many failed jobs in a row (0 = never)')
            [CompletionResult]::new('--breaker-cooldown', '--breaker-cooldown', [CompletionResultType]::ParameterName, 'How long claiming stops when the breaker opens, before one trial job')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--no-reaper', '--no-reaper', [CompletionResultType]::ParameterName, 'Do not stand for reaper leadership (run `mlqd reaper` somewhere instead)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;reaper' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often the duties run')
            [CompletionResult]::new('--leader-ttl', '--leader-ttl', [CompletionResultType]::ParameterName, 'Leader lock lifetime; another reaper takes over within it when the leader dies')
            [CompletionResult]::new('--worker-timeout', '--worker-timeout', [CompletionResultType]::ParameterName, 'A worker silent this long is gone and its running jobs are requeued at once')
            [CompletionResult]::new('--sweep-interval', '--sweep-interval', [CompletionResultType]::ParameterName, 'How often the invariant sweep runs (it reads every live job, so not too often)')
            [CompletionResult]::new('--dead-retention', '--dead-retention', [CompletionResultType]::ParameterName, 'How long dead jobs are kept')
            [CompletionResult]::new('--dead-max', '--dead-max', [CompletionResultType]::ParameterName, 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue''s totals (`trimmed`) and logged (0: no cap)')
            [CompletionResult]::new('--callback-secret', '--callback-secret', [CompletionResultType]::ParameterName, 'Sign the callbacks of jobs the reaper buries: X-Mlqd-Signature: sha256=<HMAC>')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics (leadership, reaper actions, queue depth) at http://ADDR/metrics')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;up' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address of the HTTP API')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'Bearer token required on /v1 routes (needed to listen beyond loopback)')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Where the managed Redis keeps its data (AOF) and its URL (redis.url, which other mlqd commands run from this directory read); ignored with --redis-url')
            [CompletionResult]::new('--redis-port', '--redis-port', [CompletionResultType]::ParameterName, 'Port for the managed Redis on its first start (later starts keep the port of the last one); a free port when it is taken')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Queue to take jobs from (repeat, or separate with commas)')
            [CompletionResult]::new('--queue', '--queue', [CompletionResultType]::ParameterName, 'Queue to take jobs from (repeat, or separate with commas)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Jobs run at once')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Jobs run at once')
            [CompletionResult]::new('--workers', '--workers', [CompletionResultType]::ParameterName, 'Jobs run at once')
            [CompletionResult]::new('--builtin', '--builtin', [CompletionResultType]::ParameterName, 'A handler built into mlqd, for tests, demos and benchmarks')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Run jobs through CMD: one long-lived process per concurrency slot, speaking JSON Lines on stdin/stdout (split like a shell would, never run through one)')
            [CompletionResult]::new('--http', '--http', [CompletionResultType]::ParameterName, 'Run jobs by POSTing their payloads to a model server at URL')
            [CompletionResult]::new('--lease', '--lease', [CompletionResultType]::ParameterName, 'Lease length; renewed every third of it while the job runs')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Execution limit for jobs that do not set their own')
            [CompletionResult]::new('--max-result', '--max-result', [CompletionResultType]::ParameterName, 'Largest result a handler may return')
            [CompletionResult]::new('--max-stream', '--max-stream', [CompletionResultType]::ParameterName, 'Bytes of streamed output (`emit`, exec `stream` lines) kept per job; beyond it the oldest chunks are trimmed and readers are told')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Jobs per handler call (dynamic batching)')
            [CompletionResult]::new('--batch-wait', '--batch-wait', [CompletionResultType]::ParameterName, 'How long to wait for a batch to fill')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'On SIGTERM/SIGINT, how long running jobs may finish before they are handed back')
            [CompletionResult]::new('--cancel-grace', '--cancel-grace', [CompletionResultType]::ParameterName, 'How long a cancelled job''s handler may go on before it is stopped')
            [CompletionResult]::new('--retry-backoff', '--retry-backoff', [CompletionResultType]::ParameterName, 'First retry delay; each further retry doubles it (×0.75–1.25 jitter)')
            [CompletionResult]::new('--retry-backoff-max', '--retry-backoff-max', [CompletionResultType]::ParameterName, 'Longest retry delay')
            [CompletionResult]::new('--worker-id', '--worker-id', [CompletionResultType]::ParameterName, 'Worker id (default host-pid-random)')
            [CompletionResult]::new('--callback-secret', '--callback-secret', [CompletionResultType]::ParameterName, 'Sign callbacks with this secret: X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>')
            [CompletionResult]::new('--metrics-listen', '--metrics-listen', [CompletionResultType]::ParameterName, 'Serve Prometheus metrics at http://ADDR/metrics')
            [CompletionResult]::new('--dead-max', '--dead-max', [CompletionResultType]::ParameterName, 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue''s totals (`trimmed`) and logged (0: no cap)')
            [CompletionResult]::new('--recent', '--recent', [CompletionResultType]::ParameterName, 'Succeeded (and cancelled) jobs per queue kept listable by `mlqd jobs` and the dashboard, newest first (0: none); older ones stay readable by id until they expire')
            [CompletionResult]::new('--breaker-threshold', '--breaker-threshold', [CompletionResultType]::ParameterName, 'Stop claiming after this many failed jobs in a row (0 = never)')
            [CompletionResult]::new('--breaker-cooldown', '--breaker-cooldown', [CompletionResultType]::ParameterName, 'How long claiming stops when the breaker opens, before one trial job')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--allow-unauthenticated', '--allow-unauthenticated', [CompletionResultType]::ParameterName, 'Listen beyond loopback without a token (say you mean it)')
            [CompletionResult]::new('--no-ui', '--no-ui', [CompletionResultType]::ParameterName, 'Do not serve the web dashboard at /ui')
            [CompletionResult]::new('--ui-read-only', '--ui-read-only', [CompletionResultType]::ParameterName, 'Read-only dashboard and API: every action (pause, cancel, requeue, purge, …) gets 403; reads and job submissions still work')
            [CompletionResult]::new('--no-reaper', '--no-reaper', [CompletionResultType]::ParameterName, 'Do not stand for reaper leadership (run `mlqd reaper` somewhere instead)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;workers' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;top' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Time between refreshes (also the window the rates of a one-off snapshot cover)')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Print one snapshot (tables) and exit; the default when stdout is not a terminal')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one snapshot as JSON and exit')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;bench' {
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Jobs per run')
            [CompletionResult]::new('--queues', '--queues', [CompletionResultType]::ParameterName, 'Queues to spread the jobs over (one worker serves them all; on a Redis Cluster they spread over the masters)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Worker concurrency; a list (1,2,4,8) runs once per value, for a scaling experiment')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Worker concurrency; a list (1,2,4,8) runs once per value, for a scaling experiment')
            [CompletionResult]::new('--payload-bytes', '--payload-bytes', [CompletionResultType]::ParameterName, 'Payload size of each job (a JSON string)')
            [CompletionResult]::new('--batch-size', '--batch-size', [CompletionResultType]::ParameterName, 'Jobs per handler call (the worker''s dynamic batching)')
            [CompletionResult]::new('--enqueue-batch', '--enqueue-batch', [CompletionResultType]::ParameterName, 'Jobs per enqueue call (each call is one atomic script)')
            [CompletionResult]::new('--enqueue-parallel', '--enqueue-parallel', [CompletionResultType]::ParameterName, 'Enqueue calls in flight at once')
            [CompletionResult]::new('--serial-jobs', '--serial-jobs', [CompletionResultType]::ParameterName, 'Jobs posted one at a time, each awaited, for the one-by-one enqueue figure (0 skips)')
            [CompletionResult]::new('--latency-jobs', '--latency-jobs', [CompletionResultType]::ParameterName, 'Jobs posted one at a time into the idle worker for the start-latency figures (0 skips)')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Arrivals per second in the start-latency phase')
            [CompletionResult]::new('--plot', '--plot', [CompletionResultType]::ParameterName, 'Draw drain throughput against concurrency into this SVG file')
            [CompletionResult]::new('--stream-chunks', '--stream-chunks', [CompletionResultType]::ParameterName, 'With --stream: chunks the emit phase''s handler emits')
            [CompletionResult]::new('--chunk-bytes', '--chunk-bytes', [CompletionResultType]::ParameterName, 'With --stream: bytes per chunk in the emit phase')
            [CompletionResult]::new('--stream-latency-chunks', '--stream-latency-chunks', [CompletionResultType]::ParameterName, 'With --stream: chunks emitted for the latency figures (0 skips), at --stream-rate')
            [CompletionResult]::new('--stream-rate', '--stream-rate', [CompletionResultType]::ParameterName, 'With --stream: chunks per second in the latency phase')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('--no-worker-process', '--no-worker-process', [CompletionResultType]::ParameterName, 'Skip the worker-memory phase (it starts a real `mlqd worker` process)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('--stream', '--stream', [CompletionResultType]::ParameterName, 'Measure streamed output instead: how fast one handler emits and Redis stores chunks, and the latency from `emit` to a reader of `GET /v1/jobs/{id}/stream`')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;completions' {
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write every page into DIR (created if missing) instead of printing mlqd.1')
            [CompletionResult]::new('--redis-url', '--redis-url', [CompletionResultType]::ParameterName, 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]')
            [CompletionResult]::new('--redis-ca', '--redis-ca', [CompletionResultType]::ParameterName, 'PEM CA certificate to trust for TLS, in addition to the system roots')
            [CompletionResult]::new('--redis-cert', '--redis-cert', [CompletionResultType]::ParameterName, 'PEM client certificate to present (mutual TLS; with --redis-key)')
            [CompletionResult]::new('--redis-key', '--redis-key', [CompletionResultType]::ParameterName, 'PEM private key of --redis-cert')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Key prefix, so several mlqd setups can share one Redis')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format on stderr')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlqd;help' {
            [CompletionResult]::new('post', 'post', [CompletionResultType]::ParameterValue, 'Post a job and print its id')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a job''s state, progress, attempts and history')
            [CompletionResult]::new('result', 'result', [CompletionResultType]::ParameterValue, 'Write a finished job''s result bytes')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a pending or running job')
            [CompletionResult]::new('dlq', 'dlq', [CompletionResultType]::ParameterValue, 'List, requeue or purge dead jobs')
            [CompletionResult]::new('queues', 'queues', [CompletionResultType]::ParameterValue, 'Show every queue''s counts and limits; set limits (`queues limit`)')
            [CompletionResult]::new('jobs', 'jobs', [CompletionResultType]::ParameterValue, 'List a queue''s jobs in one state, a page at a time')
            [CompletionResult]::new('cron', 'cron', [CompletionResultType]::ParameterValue, 'Periodic jobs: set, list or remove schedules')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve the HTTP API, /metrics and health probes')
            [CompletionResult]::new('worker', 'worker', [CompletionResultType]::ParameterValue, 'Run jobs')
            [CompletionResult]::new('reaper', 'reaper', [CompletionResultType]::ParameterValue, 'Run the leader-elected maintenance only (lost jobs, due jobs, retention)')
            [CompletionResult]::new('up', 'up', [CompletionResultType]::ParameterValue, 'One-machine mode: Redis (managed), the HTTP API, a worker and the reaper in one process')
            [CompletionResult]::new('workers', 'workers', [CompletionResultType]::ParameterValue, 'Show the live workers')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Live view of queues, workers, throughput and the reaper leader')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Load generator: enqueue and drain throughput, start latency, Redis cost per job')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page, or write every page with --dir')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlqd;help;post' {
            break
        }
        'mlqd;help;status' {
            break
        }
        'mlqd;help;result' {
            break
        }
        'mlqd;help;cancel' {
            break
        }
        'mlqd;help;dlq' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List dead jobs, newest first')
            [CompletionResult]::new('requeue', 'requeue', [CompletionResultType]::ParameterValue, 'Put dead jobs back in their queue with a fresh retry budget')
            [CompletionResult]::new('purge', 'purge', [CompletionResultType]::ParameterValue, 'Delete dead jobs for good')
            break
        }
        'mlqd;help;dlq;list' {
            break
        }
        'mlqd;help;dlq;requeue' {
            break
        }
        'mlqd;help;dlq;purge' {
            break
        }
        'mlqd;help;queues' {
            [CompletionResult]::new('limit', 'limit', [CompletionResultType]::ParameterValue, 'Set, change or clear a queue''s limits (enforced across every worker)')
            break
        }
        'mlqd;help;queues;limit' {
            break
        }
        'mlqd;help;jobs' {
            break
        }
        'mlqd;help;cron' {
            [CompletionResult]::new('set', 'set', [CompletionResultType]::ParameterValue, 'Create or replace a schedule')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show every schedule: timing, queue, next and last run, last job')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete a schedule (runs already posted stay in their queue)')
            break
        }
        'mlqd;help;cron;set' {
            break
        }
        'mlqd;help;cron;list' {
            break
        }
        'mlqd;help;cron;rm' {
            break
        }
        'mlqd;help;serve' {
            break
        }
        'mlqd;help;worker' {
            break
        }
        'mlqd;help;reaper' {
            break
        }
        'mlqd;help;up' {
            break
        }
        'mlqd;help;workers' {
            break
        }
        'mlqd;help;top' {
            break
        }
        'mlqd;help;bench' {
            break
        }
        'mlqd;help;completions' {
            break
        }
        'mlqd;help;man' {
            break
        }
        'mlqd;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
