
use builtin;
use str;

set edit:completion:arg-completer[mlqd] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mlqd'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mlqd'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand post 'Post a job and print its id'
            cand status 'Show a job''s state, progress, attempts and history'
            cand result 'Write a finished job''s result bytes'
            cand cancel 'Cancel a pending or running job'
            cand dlq 'List, requeue or purge dead jobs'
            cand queues 'Show every queue''s counts and limits; set limits (`queues limit`)'
            cand jobs 'List a queue''s jobs in one state, a page at a time'
            cand cron 'Periodic jobs: set, list or remove schedules'
            cand serve 'Serve the HTTP API, /metrics and health probes'
            cand worker 'Run jobs'
            cand reaper 'Run the leader-elected maintenance only (lost jobs, due jobs, retention)'
            cand up 'One-machine mode: Redis (managed), the HTTP API, a worker and the reaper in one process'
            cand workers 'Show the live workers'
            cand top 'Live view of queues, workers, throughput and the reaper leader'
            cand bench 'Load generator: enqueue and drain throughput, start latency, Redis cost per job'
            cand completions 'Print a shell completion script'
            cand man 'Print the manual page, or write every page with --dir'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mlqd;post'= {
            cand -q 'Queue to post to'
            cand --queue 'Queue to post to'
            cand --priority 'Priority from -100 to 100; higher runs first'
            cand --delay 'Start no earlier than this from now (e.g. 30s, 5m)'
            cand --at 'Start no earlier than this instant (RFC 3339)'
            cand --max-retries 'Retries after the first failure (default 3)'
            cand --max-stalls 'Lost leases (worker crashes) tolerated before the job is dead (default 3)'
            cand --timeout 'Execution limit per attempt'
            cand --key 'Idempotency key: posting again with it (within 24h) returns the first job'
            cand --result-ttl 'How long to keep the result (default 24h)'
            cand --callback 'URL to POST the job''s status to once it is finished'
            cand --content-type 'Content type of the payload; anything but JSON is sent as raw bytes'
            cand --max-payload 'Largest payload accepted'
            cand --wait-timeout 'Give up waiting after this long (exit 5)'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --wait 'Wait for the job to finish and print its result'
            cand --stream 'Write the job''s streamed output to stdout as it arrives (a new attempt is noted on stderr), then exit with the job''s exit code (0 succeeded, 3 dead or cancelled)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;status'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --json 'Print the status JSON (the same object as GET /v1/jobs/{id})'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;result'= {
            cand --wait-timeout 'Give up waiting after this long (exit 5)'
            cand -o 'Write the result to this file instead of stdout'
            cand --output 'Write the result to this file instead of stdout'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --wait 'Wait for the job to finish'
            cand --follow 'Write the job''s streamed output instead, from its first chunk, as it arrives, then exit with the job''s exit code (0 succeeded, 3 dead or cancelled)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;cancel'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;dlq'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List dead jobs, newest first'
            cand requeue 'Put dead jobs back in their queue with a fresh retry budget'
            cand purge 'Delete dead jobs for good'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mlqd;dlq;list'= {
            cand -q 'Only this queue'
            cand --queue 'Only this queue'
            cand --limit 'At most this many'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;dlq;requeue'= {
            cand -q 'Only this queue (with --all)'
            cand --queue 'Only this queue (with --all)'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --all 'Requeue every dead job (of `--queue`, or of all queues)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;dlq;purge'= {
            cand -q 'Only this queue'
            cand --queue 'Only this queue'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;dlq;help'= {
            cand list 'List dead jobs, newest first'
            cand requeue 'Put dead jobs back in their queue with a fresh retry budget'
            cand purge 'Delete dead jobs for good'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mlqd;dlq;help;list'= {
        }
        &'mlqd;dlq;help;requeue'= {
        }
        &'mlqd;dlq;help;purge'= {
        }
        &'mlqd;dlq;help;help'= {
        }
        &'mlqd;queues'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand limit 'Set, change or clear a queue''s limits (enforced across every worker)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mlqd;queues;limit'= {
            cand --rate 'Most job starts per period: N/s, N/m or N/h (a token bucket)'
            cand --burst 'Starts the rate lets save up while the queue is idle (default 1)'
            cand --max-active 'Most jobs of the queue running at once, across every worker'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --clear 'Clear every limit first (then apply the other flags, if any)'
            cand --json 'Print the queue''s limits as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;queues;help'= {
            cand limit 'Set, change or clear a queue''s limits (enforced across every worker)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mlqd;queues;help;limit'= {
        }
        &'mlqd;queues;help;help'= {
        }
        &'mlqd;jobs'= {
            cand -q 'The queue'
            cand --queue 'The queue'
            cand -s 'scheduled, pending, active, retry, dead, succeeded or cancelled'
            cand --state 'scheduled, pending, active, retry, dead, succeeded or cancelled'
            cand --limit 'Jobs per page (1 to 500)'
            cand --cursor 'Where the page starts: the cursor the previous page printed'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --json 'Print JSON: {"jobs":[status…],"next_cursor"}'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;cron'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand set 'Create or replace a schedule'
            cand list 'Show every schedule: timing, queue, next and last run, last job'
            cand rm 'Delete a schedule (runs already posted stay in their queue)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mlqd;cron;set'= {
            cand --every 'Run every this long (at least 1s), counted from now'
            cand --cron 'Run at the times a cron expression names: 5 fields (minute hour day month weekday), or 6 with seconds first'
            cand --tz 'IANA time zone the cron expression is read in (default UTC)'
            cand -q 'Queue the runs are posted to'
            cand --queue 'Queue the runs are posted to'
            cand --priority 'Priority of each run, from -100 to 100'
            cand --max-retries 'Retries after a run''s first failure (default 3)'
            cand --max-stalls 'Lost leases a run tolerates before it is dead (default 3)'
            cand --timeout 'Execution limit per attempt'
            cand --result-ttl 'How long to keep each run''s result (default 24h)'
            cand --callback 'URL to POST each run''s status to once it is finished'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --json 'Print the schedule as JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;cron;list'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;cron;rm'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;cron;help'= {
            cand set 'Create or replace a schedule'
            cand list 'Show every schedule: timing, queue, next and last run, last job'
            cand rm 'Delete a schedule (runs already posted stay in their queue)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mlqd;cron;help;set'= {
        }
        &'mlqd;cron;help;list'= {
        }
        &'mlqd;cron;help;rm'= {
        }
        &'mlqd;cron;help;help'= {
        }
        &'mlqd;serve'= {
            cand --listen 'Address to listen on (port 0 picks a free port; the address is printed)'
            cand --token 'Bearer token every /v1 route requires (/healthz and /readyz stay open)'
            cand --metrics-token 'Bearer token /metrics requires (open when unset)'
            cand --schema 'QUEUE=FILE: check that queue''s payloads against the JSON Schema in FILE (repeat)'
            cand --max-body 'Largest request body (payload) accepted (413 over it)'
            cand --max-pending 'N or QUEUE=N: most waiting jobs (pending + scheduled + retry) a queue may hold before posts get 429; QUEUE=0 lifts the limit for one queue (repeat)'
            cand --max-wait 'Longest ?wait= a request may ask for'
            cand --drain-timeout 'On SIGTERM/SIGINT, how long in-flight requests may finish'
            cand --redis-timeout 'Longest wait for one Redis answer; past it a request gets 503'
            cand --recent 'Cancelled jobs per queue kept listable (GET /v1/queues/{queue}/jobs?state=cancelled), newest first (0: none)'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --allow-unauthenticated 'Serve a non-loopback address without --token (anyone who reaches it can post jobs)'
            cand --no-ui 'Do not serve the web dashboard at /ui'
            cand --ui-read-only 'Read-only dashboard and API: every action (pause, cancel, requeue, purge, …) gets 403; reads and job submissions still work'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;worker'= {
            cand -q 'Queue to take jobs from (repeat, or separate with commas)'
            cand --queue 'Queue to take jobs from (repeat, or separate with commas)'
            cand -c 'Jobs run at once'
            cand --concurrency 'Jobs run at once'
            cand --workers 'Jobs run at once'
            cand --builtin 'A handler built into mlqd, for tests, demos and benchmarks'
            cand --exec 'Run jobs through CMD: one long-lived process per concurrency slot, speaking JSON Lines on stdin/stdout (split like a shell would, never run through one)'
            cand --http 'Run jobs by POSTing their payloads to a model server at URL'
            cand --lease 'Lease length; renewed every third of it while the job runs'
            cand --timeout 'Execution limit for jobs that do not set their own'
            cand --max-result 'Largest result a handler may return'
            cand --max-stream 'Bytes of streamed output (`emit`, exec `stream` lines) kept per job; beyond it the oldest chunks are trimmed and readers are told'
            cand --batch-size 'Jobs per handler call (dynamic batching)'
            cand --batch-wait 'How long to wait for a batch to fill'
            cand --drain-timeout 'On SIGTERM/SIGINT, how long running jobs may finish before they are handed back'
            cand --cancel-grace 'How long a cancelled job''s handler may go on before it is stopped'
            cand --retry-backoff 'First retry delay; each further retry doubles it (×0.75–1.25 jitter)'
            cand --retry-backoff-max 'Longest retry delay'
            cand --worker-id 'Worker id (default host-pid-random)'
            cand --callback-secret 'Sign callbacks with this secret: X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>'
            cand --metrics-listen 'Serve Prometheus metrics at http://ADDR/metrics'
            cand --dead-max 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue''s totals (`trimmed`) and logged (0: no cap)'
            cand --recent 'Succeeded (and cancelled) jobs per queue kept listable by `mlqd jobs` and the dashboard, newest first (0: none); older ones stay readable by id until they expire'
            cand --breaker-threshold 'Stop claiming after this many failed jobs in a row (0 = never)'
            cand --breaker-cooldown 'How long claiming stops when the breaker opens, before one trial job'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --no-reaper 'Do not stand for reaper leadership (run `mlqd reaper` somewhere instead)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;reaper'= {
            cand --interval 'How often the duties run'
            cand --leader-ttl 'Leader lock lifetime; another reaper takes over within it when the leader dies'
            cand --worker-timeout 'A worker silent this long is gone and its running jobs are requeued at once'
            cand --sweep-interval 'How often the invariant sweep runs (it reads every live job, so not too often)'
            cand --dead-retention 'How long dead jobs are kept'
            cand --dead-max 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue''s totals (`trimmed`) and logged (0: no cap)'
            cand --callback-secret 'Sign the callbacks of jobs the reaper buries: X-Mlqd-Signature: sha256=<HMAC>'
            cand --metrics-listen 'Serve Prometheus metrics (leadership, reaper actions, queue depth) at http://ADDR/metrics'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;up'= {
            cand --listen 'Address of the HTTP API'
            cand --token 'Bearer token required on /v1 routes (needed to listen beyond loopback)'
            cand --data-dir 'Where the managed Redis keeps its data (AOF) and its URL (redis.url, which other mlqd commands run from this directory read); ignored with --redis-url'
            cand --redis-port 'Port for the managed Redis on its first start (later starts keep the port of the last one); a free port when it is taken'
            cand -q 'Queue to take jobs from (repeat, or separate with commas)'
            cand --queue 'Queue to take jobs from (repeat, or separate with commas)'
            cand -c 'Jobs run at once'
            cand --concurrency 'Jobs run at once'
            cand --workers 'Jobs run at once'
            cand --builtin 'A handler built into mlqd, for tests, demos and benchmarks'
            cand --exec 'Run jobs through CMD: one long-lived process per concurrency slot, speaking JSON Lines on stdin/stdout (split like a shell would, never run through one)'
            cand --http 'Run jobs by POSTing their payloads to a model server at URL'
            cand --lease 'Lease length; renewed every third of it while the job runs'
            cand --timeout 'Execution limit for jobs that do not set their own'
            cand --max-result 'Largest result a handler may return'
            cand --max-stream 'Bytes of streamed output (`emit`, exec `stream` lines) kept per job; beyond it the oldest chunks are trimmed and readers are told'
            cand --batch-size 'Jobs per handler call (dynamic batching)'
            cand --batch-wait 'How long to wait for a batch to fill'
            cand --drain-timeout 'On SIGTERM/SIGINT, how long running jobs may finish before they are handed back'
            cand --cancel-grace 'How long a cancelled job''s handler may go on before it is stopped'
            cand --retry-backoff 'First retry delay; each further retry doubles it (×0.75–1.25 jitter)'
            cand --retry-backoff-max 'Longest retry delay'
            cand --worker-id 'Worker id (default host-pid-random)'
            cand --callback-secret 'Sign callbacks with this secret: X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>'
            cand --metrics-listen 'Serve Prometheus metrics at http://ADDR/metrics'
            cand --dead-max 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue''s totals (`trimmed`) and logged (0: no cap)'
            cand --recent 'Succeeded (and cancelled) jobs per queue kept listable by `mlqd jobs` and the dashboard, newest first (0: none); older ones stay readable by id until they expire'
            cand --breaker-threshold 'Stop claiming after this many failed jobs in a row (0 = never)'
            cand --breaker-cooldown 'How long claiming stops when the breaker opens, before one trial job'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --allow-unauthenticated 'Listen beyond loopback without a token (say you mean it)'
            cand --no-ui 'Do not serve the web dashboard at /ui'
            cand --ui-read-only 'Read-only dashboard and API: every action (pause, cancel, requeue, purge, …) gets 403; reads and job submissions still work'
            cand --no-reaper 'Do not stand for reaper leadership (run `mlqd reaper` somewhere instead)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;workers'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;top'= {
            cand --interval 'Time between refreshes (also the window the rates of a one-off snapshot cover)'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --once 'Print one snapshot (tables) and exit; the default when stdout is not a terminal'
            cand --json 'Print one snapshot as JSON and exit'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;bench'= {
            cand --jobs 'Jobs per run'
            cand --queues 'Queues to spread the jobs over (one worker serves them all; on a Redis Cluster they spread over the masters)'
            cand -c 'Worker concurrency; a list (1,2,4,8) runs once per value, for a scaling experiment'
            cand --concurrency 'Worker concurrency; a list (1,2,4,8) runs once per value, for a scaling experiment'
            cand --payload-bytes 'Payload size of each job (a JSON string)'
            cand --batch-size 'Jobs per handler call (the worker''s dynamic batching)'
            cand --enqueue-batch 'Jobs per enqueue call (each call is one atomic script)'
            cand --enqueue-parallel 'Enqueue calls in flight at once'
            cand --serial-jobs 'Jobs posted one at a time, each awaited, for the one-by-one enqueue figure (0 skips)'
            cand --latency-jobs 'Jobs posted one at a time into the idle worker for the start-latency figures (0 skips)'
            cand --rate 'Arrivals per second in the start-latency phase'
            cand --plot 'Draw drain throughput against concurrency into this SVG file'
            cand --stream-chunks 'With --stream: chunks the emit phase''s handler emits'
            cand --chunk-bytes 'With --stream: bytes per chunk in the emit phase'
            cand --stream-latency-chunks 'With --stream: chunks emitted for the latency figures (0 skips), at --stream-rate'
            cand --stream-rate 'With --stream: chunks per second in the latency phase'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand --no-worker-process 'Skip the worker-memory phase (it starts a real `mlqd worker` process)'
            cand --json 'Print JSON'
            cand --stream 'Measure streamed output instead: how fast one handler emits and Redis stores chunks, and the latency from `emit` to a reader of `GET /v1/jobs/{id}/stream`'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;completions'= {
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;man'= {
            cand --dir 'Write every page into DIR (created if missing) instead of printing mlqd.1'
            cand --redis-url 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]'
            cand --redis-ca 'PEM CA certificate to trust for TLS, in addition to the system roots'
            cand --redis-cert 'PEM client certificate to present (mutual TLS; with --redis-key)'
            cand --redis-key 'PEM private key of --redis-cert'
            cand --namespace 'Key prefix, so several mlqd setups can share one Redis'
            cand --log-format 'Log format on stderr'
            cand --log-level 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mlqd;help'= {
            cand post 'Post a job and print its id'
            cand status 'Show a job''s state, progress, attempts and history'
            cand result 'Write a finished job''s result bytes'
            cand cancel 'Cancel a pending or running job'
            cand dlq 'List, requeue or purge dead jobs'
            cand queues 'Show every queue''s counts and limits; set limits (`queues limit`)'
            cand jobs 'List a queue''s jobs in one state, a page at a time'
            cand cron 'Periodic jobs: set, list or remove schedules'
            cand serve 'Serve the HTTP API, /metrics and health probes'
            cand worker 'Run jobs'
            cand reaper 'Run the leader-elected maintenance only (lost jobs, due jobs, retention)'
            cand up 'One-machine mode: Redis (managed), the HTTP API, a worker and the reaper in one process'
            cand workers 'Show the live workers'
            cand top 'Live view of queues, workers, throughput and the reaper leader'
            cand bench 'Load generator: enqueue and drain throughput, start latency, Redis cost per job'
            cand completions 'Print a shell completion script'
            cand man 'Print the manual page, or write every page with --dir'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mlqd;help;post'= {
        }
        &'mlqd;help;status'= {
        }
        &'mlqd;help;result'= {
        }
        &'mlqd;help;cancel'= {
        }
        &'mlqd;help;dlq'= {
            cand list 'List dead jobs, newest first'
            cand requeue 'Put dead jobs back in their queue with a fresh retry budget'
            cand purge 'Delete dead jobs for good'
        }
        &'mlqd;help;dlq;list'= {
        }
        &'mlqd;help;dlq;requeue'= {
        }
        &'mlqd;help;dlq;purge'= {
        }
        &'mlqd;help;queues'= {
            cand limit 'Set, change or clear a queue''s limits (enforced across every worker)'
        }
        &'mlqd;help;queues;limit'= {
        }
        &'mlqd;help;jobs'= {
        }
        &'mlqd;help;cron'= {
            cand set 'Create or replace a schedule'
            cand list 'Show every schedule: timing, queue, next and last run, last job'
            cand rm 'Delete a schedule (runs already posted stay in their queue)'
        }
        &'mlqd;help;cron;set'= {
        }
        &'mlqd;help;cron;list'= {
        }
        &'mlqd;help;cron;rm'= {
        }
        &'mlqd;help;serve'= {
        }
        &'mlqd;help;worker'= {
        }
        &'mlqd;help;reaper'= {
        }
        &'mlqd;help;up'= {
        }
        &'mlqd;help;workers'= {
        }
        &'mlqd;help;top'= {
        }
        &'mlqd;help;bench'= {
        }
        &'mlqd;help;completions'= {
        }
        &'mlqd;help;man'= {
        }
        &'mlqd;help;help'= {
        }
    ]
    $completions[$command]
}
