# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mlqd_global_optspecs
    string join \n redis-url= redis-ca= redis-cert= redis-key= namespace= log-format= log-level= h/help V/version
end

function __fish_mlqd_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mlqd_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mlqd_using_subcommand
    set -l cmd (__fish_mlqd_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mlqd -n "__fish_mlqd_needs_command" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_needs_command" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_needs_command" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_needs_command" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_needs_command" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_needs_command" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_needs_command" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_needs_command" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_needs_command" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "post" -d 'Post a job and print its id'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "status" -d 'Show a job\'s state, progress, attempts and history'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "result" -d 'Write a finished job\'s result bytes'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "cancel" -d 'Cancel a pending or running job'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "dlq" -d 'List, requeue or purge dead jobs'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "queues" -d 'Show every queue\'s counts and limits; set limits (`queues limit`)'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "jobs" -d 'List a queue\'s jobs in one state, a page at a time'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "cron" -d 'Periodic jobs: set, list or remove schedules'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "serve" -d 'Serve the HTTP API, /metrics and health probes'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "worker" -d 'Run jobs'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "reaper" -d 'Run the leader-elected maintenance only (lost jobs, due jobs, retention)'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "up" -d 'One-machine mode: Redis (managed), the HTTP API, a worker and the reaper in one process'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "workers" -d 'Show the live workers'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "top" -d 'Live view of queues, workers, throughput and the reaper leader'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "bench" -d 'Load generator: enqueue and drain throughput, start latency, Redis cost per job'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "man" -d 'Print the manual page, or write every page with --dir'
complete -c mlqd -n "__fish_mlqd_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -s q -l queue -d 'Queue to post to' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l priority -d 'Priority from -100 to 100; higher runs first' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l delay -d 'Start no earlier than this from now (e.g. 30s, 5m)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l at -d 'Start no earlier than this instant (RFC 3339)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l max-retries -d 'Retries after the first failure (default 3)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l max-stalls -d 'Lost leases (worker crashes) tolerated before the job is dead (default 3)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l timeout -d 'Execution limit per attempt' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l key -d 'Idempotency key: posting again with it (within 24h) returns the first job' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l result-ttl -d 'How long to keep the result (default 24h)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l callback -d 'URL to POST the job\'s status to once it is finished' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l content-type -d 'Content type of the payload; anything but JSON is sent as raw bytes' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l max-payload -d 'Largest payload accepted' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l wait-timeout -d 'Give up waiting after this long (exit 5)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l wait -d 'Wait for the job to finish and print its result'
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -l stream -d 'Write the job\'s streamed output to stdout as it arrives (a new attempt is noted on stderr), then exit with the job\'s exit code (0 succeeded, 3 dead or cancelled)'
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand post" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -l json -d 'Print the status JSON (the same object as GET /v1/jobs/{id})'
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand status" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l wait-timeout -d 'Give up waiting after this long (exit 5)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -s o -l output -d 'Write the result to this file instead of stdout' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l wait -d 'Wait for the job to finish'
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -l follow -d 'Write the job\'s streamed output instead, from its first chunk, as it arrives, then exit with the job\'s exit code (0 succeeded, 3 dead or cancelled)'
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand result" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand cancel" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -f -a "list" -d 'List dead jobs, newest first'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -f -a "requeue" -d 'Put dead jobs back in their queue with a fresh retry budget'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -f -a "purge" -d 'Delete dead jobs for good'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and not __fish_seen_subcommand_from list requeue purge help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -s q -l queue -d 'Only this queue' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l limit -d 'At most this many' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -s q -l queue -d 'Only this queue (with --all)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -l all -d 'Requeue every dead job (of `--queue`, or of all queues)'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from requeue" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s q -l queue -d 'Only this queue' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from purge" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "list" -d 'List dead jobs, newest first'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "requeue" -d 'Put dead jobs back in their queue with a fresh retry budget'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "purge" -d 'Delete dead jobs for good'
complete -c mlqd -n "__fish_mlqd_using_subcommand dlq; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -l json -d 'Print JSON'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -f -a "limit" -d 'Set, change or clear a queue\'s limits (enforced across every worker)'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and not __fish_seen_subcommand_from limit help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l rate -d 'Most job starts per period: N/s, N/m or N/h (a token bucket)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l burst -d 'Starts the rate lets save up while the queue is idle (default 1)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l max-active -d 'Most jobs of the queue running at once, across every worker' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l clear -d 'Clear every limit first (then apply the other flags, if any)'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -l json -d 'Print the queue\'s limits as JSON'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from limit" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from help" -f -a "limit" -d 'Set, change or clear a queue\'s limits (enforced across every worker)'
complete -c mlqd -n "__fish_mlqd_using_subcommand queues; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -s q -l queue -d 'The queue' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -s s -l state -d 'scheduled, pending, active, retry, dead, succeeded or cancelled' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l limit -d 'Jobs per page (1 to 500)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l cursor -d 'Where the page starts: the cursor the previous page printed' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -l json -d 'Print JSON: {"jobs":[status…],"next_cursor"}'
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand jobs" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -f -a "set" -d 'Create or replace a schedule'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -f -a "list" -d 'Show every schedule: timing, queue, next and last run, last job'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -f -a "rm" -d 'Delete a schedule (runs already posted stay in their queue)'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and not __fish_seen_subcommand_from set list rm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l every -d 'Run every this long (at least 1s), counted from now' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l cron -d 'Run at the times a cron expression names: 5 fields (minute hour day month weekday), or 6 with seconds first' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l tz -d 'IANA time zone the cron expression is read in (default UTC)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -s q -l queue -d 'Queue the runs are posted to' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l priority -d 'Priority of each run, from -100 to 100' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l max-retries -d 'Retries after a run\'s first failure (default 3)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l max-stalls -d 'Lost leases a run tolerates before it is dead (default 3)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l timeout -d 'Execution limit per attempt' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l result-ttl -d 'How long to keep each run\'s result (default 24h)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l callback -d 'URL to POST each run\'s status to once it is finished' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -l json -d 'Print the schedule as JSON'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from set" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -l json -d 'Print JSON'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "set" -d 'Create or replace a schedule'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "list" -d 'Show every schedule: timing, queue, next and last run, last job'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "rm" -d 'Delete a schedule (runs already posted stay in their queue)'
complete -c mlqd -n "__fish_mlqd_using_subcommand cron; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l listen -d 'Address to listen on (port 0 picks a free port; the address is printed)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l token -d 'Bearer token every /v1 route requires (/healthz and /readyz stay open)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l metrics-token -d 'Bearer token /metrics requires (open when unset)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l schema -d 'QUEUE=FILE: check that queue\'s payloads against the JSON Schema in FILE (repeat)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l max-body -d 'Largest request body (payload) accepted (413 over it)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l max-pending -d 'N or QUEUE=N: most waiting jobs (pending + scheduled + retry) a queue may hold before posts get 429; QUEUE=0 lifts the limit for one queue (repeat)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l max-wait -d 'Longest ?wait= a request may ask for' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l drain-timeout -d 'On SIGTERM/SIGINT, how long in-flight requests may finish' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l redis-timeout -d 'Longest wait for one Redis answer; past it a request gets 503' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l recent -d 'Cancelled jobs per queue kept listable (GET /v1/queues/{queue}/jobs?state=cancelled), newest first (0: none)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l allow-unauthenticated -d 'Serve a non-loopback address without --token (anyone who reaches it can post jobs)'
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l no-ui -d 'Do not serve the web dashboard at /ui'
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -l ui-read-only -d 'Read-only dashboard and API: every action (pause, cancel, requeue, purge, …) gets 403; reads and job submissions still work'
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand serve" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -s q -l queue -d 'Queue to take jobs from (repeat, or separate with commas)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -s c -l concurrency -l workers -d 'Jobs run at once' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l builtin -d 'A handler built into mlqd, for tests, demos and benchmarks' -r -f -a "echo\t'returns the payload as the result, with its content type'
sleep\t'takes {"ms": N}: sleeps N ms, reporting progress about ten times, then returns the payload (a payload without "ms" fails for good)'
fail\t'always fails, retryably (the job is retried, then dead)'
noop\t'returns an empty result at once'
stream\t'takes {"chunks": N, "ms": M}: emits N lines of output ("chunk 0", "chunk 1", …) M ms apart, then returns {"chunks": N}'"
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l exec -d 'Run jobs through CMD: one long-lived process per concurrency slot, speaking JSON Lines on stdin/stdout (split like a shell would, never run through one)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l http -d 'Run jobs by POSTing their payloads to a model server at URL' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l lease -d 'Lease length; renewed every third of it while the job runs' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l timeout -d 'Execution limit for jobs that do not set their own' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l max-result -d 'Largest result a handler may return' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l max-stream -d 'Bytes of streamed output (`emit`, exec `stream` lines) kept per job; beyond it the oldest chunks are trimmed and readers are told' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l batch-size -d 'Jobs per handler call (dynamic batching)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l batch-wait -d 'How long to wait for a batch to fill' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l drain-timeout -d 'On SIGTERM/SIGINT, how long running jobs may finish before they are handed back' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l cancel-grace -d 'How long a cancelled job\'s handler may go on before it is stopped' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l retry-backoff -d 'First retry delay; each further retry doubles it (×0.75–1.25 jitter)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l retry-backoff-max -d 'Longest retry delay' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l worker-id -d 'Worker id (default host-pid-random)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l callback-secret -d 'Sign callbacks with this secret: X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l metrics-listen -d 'Serve Prometheus metrics at http://ADDR/metrics' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l dead-max -d 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue\'s totals (`trimmed`) and logged (0: no cap)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l recent -d 'Succeeded (and cancelled) jobs per queue kept listable by `mlqd jobs` and the dashboard, newest first (0: none); older ones stay readable by id until they expire' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l breaker-threshold -d 'Stop claiming after this many failed jobs in a row (0 = never)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l breaker-cooldown -d 'How long claiming stops when the breaker opens, before one trial job' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -l no-reaper -d 'Do not stand for reaper leadership (run `mlqd reaper` somewhere instead)'
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlqd -n "__fish_mlqd_using_subcommand worker" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l interval -d 'How often the duties run' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l leader-ttl -d 'Leader lock lifetime; another reaper takes over within it when the leader dies' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l worker-timeout -d 'A worker silent this long is gone and its running jobs are requeued at once' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l sweep-interval -d 'How often the invariant sweep runs (it reads every live job, so not too often)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l dead-retention -d 'How long dead jobs are kept' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l dead-max -d 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue\'s totals (`trimmed`) and logged (0: no cap)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l callback-secret -d 'Sign the callbacks of jobs the reaper buries: X-Mlqd-Signature: sha256=<HMAC>' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l metrics-listen -d 'Serve Prometheus metrics (leadership, reaper actions, queue depth) at http://ADDR/metrics' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand reaper" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l listen -d 'Address of the HTTP API' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l token -d 'Bearer token required on /v1 routes (needed to listen beyond loopback)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l data-dir -d 'Where the managed Redis keeps its data (AOF) and its URL (redis.url, which other mlqd commands run from this directory read); ignored with --redis-url' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l redis-port -d 'Port for the managed Redis on its first start (later starts keep the port of the last one); a free port when it is taken' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -s q -l queue -d 'Queue to take jobs from (repeat, or separate with commas)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -s c -l concurrency -l workers -d 'Jobs run at once' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l builtin -d 'A handler built into mlqd, for tests, demos and benchmarks' -r -f -a "echo\t'returns the payload as the result, with its content type'
sleep\t'takes {"ms": N}: sleeps N ms, reporting progress about ten times, then returns the payload (a payload without "ms" fails for good)'
fail\t'always fails, retryably (the job is retried, then dead)'
noop\t'returns an empty result at once'
stream\t'takes {"chunks": N, "ms": M}: emits N lines of output ("chunk 0", "chunk 1", …) M ms apart, then returns {"chunks": N}'"
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l exec -d 'Run jobs through CMD: one long-lived process per concurrency slot, speaking JSON Lines on stdin/stdout (split like a shell would, never run through one)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l http -d 'Run jobs by POSTing their payloads to a model server at URL' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l lease -d 'Lease length; renewed every third of it while the job runs' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l timeout -d 'Execution limit for jobs that do not set their own' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l max-result -d 'Largest result a handler may return' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l max-stream -d 'Bytes of streamed output (`emit`, exec `stream` lines) kept per job; beyond it the oldest chunks are trimmed and readers are told' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l batch-size -d 'Jobs per handler call (dynamic batching)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l batch-wait -d 'How long to wait for a batch to fill' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l drain-timeout -d 'On SIGTERM/SIGINT, how long running jobs may finish before they are handed back' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l cancel-grace -d 'How long a cancelled job\'s handler may go on before it is stopped' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l retry-backoff -d 'First retry delay; each further retry doubles it (×0.75–1.25 jitter)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l retry-backoff-max -d 'Longest retry delay' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l worker-id -d 'Worker id (default host-pid-random)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l callback-secret -d 'Sign callbacks with this secret: X-Mlqd-Signature: sha256=<hex HMAC-SHA256 of the body>' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l metrics-listen -d 'Serve Prometheus metrics at http://ADDR/metrics' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l dead-max -d 'Most dead jobs kept per queue; past it the oldest are deleted, counted in the queue\'s totals (`trimmed`) and logged (0: no cap)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l recent -d 'Succeeded (and cancelled) jobs per queue kept listable by `mlqd jobs` and the dashboard, newest first (0: none); older ones stay readable by id until they expire' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l breaker-threshold -d 'Stop claiming after this many failed jobs in a row (0 = never)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l breaker-cooldown -d 'How long claiming stops when the breaker opens, before one trial job' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l allow-unauthenticated -d 'Listen beyond loopback without a token (say you mean it)'
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l no-ui -d 'Do not serve the web dashboard at /ui'
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l ui-read-only -d 'Read-only dashboard and API: every action (pause, cancel, requeue, purge, …) gets 403; reads and job submissions still work'
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -l no-reaper -d 'Do not stand for reaper leadership (run `mlqd reaper` somewhere instead)'
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlqd -n "__fish_mlqd_using_subcommand up" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -l json -d 'Print JSON'
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand workers" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l interval -d 'Time between refreshes (also the window the rates of a one-off snapshot cover)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l once -d 'Print one snapshot (tables) and exit; the default when stdout is not a terminal'
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -l json -d 'Print one snapshot as JSON and exit'
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlqd -n "__fish_mlqd_using_subcommand top" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l jobs -d 'Jobs per run' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l queues -d 'Queues to spread the jobs over (one worker serves them all; on a Redis Cluster they spread over the masters)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -s c -l concurrency -d 'Worker concurrency; a list (1,2,4,8) runs once per value, for a scaling experiment' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l payload-bytes -d 'Payload size of each job (a JSON string)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l batch-size -d 'Jobs per handler call (the worker\'s dynamic batching)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l enqueue-batch -d 'Jobs per enqueue call (each call is one atomic script)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l enqueue-parallel -d 'Enqueue calls in flight at once' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l serial-jobs -d 'Jobs posted one at a time, each awaited, for the one-by-one enqueue figure (0 skips)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l latency-jobs -d 'Jobs posted one at a time into the idle worker for the start-latency figures (0 skips)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l rate -d 'Arrivals per second in the start-latency phase' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l plot -d 'Draw drain throughput against concurrency into this SVG file' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l stream-chunks -d 'With --stream: chunks the emit phase\'s handler emits' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l chunk-bytes -d 'With --stream: bytes per chunk in the emit phase' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l stream-latency-chunks -d 'With --stream: chunks emitted for the latency figures (0 skips), at --stream-rate' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l stream-rate -d 'With --stream: chunks per second in the latency phase' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l no-worker-process -d 'Skip the worker-memory phase (it starts a real `mlqd worker` process)'
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l json -d 'Print JSON'
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -l stream -d 'Measure streamed output instead: how fast one handler emits and Redis stores chunks, and the latency from `emit` to a reader of `GET /v1/jobs/{id}/stream`'
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand bench" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -l dir -d 'Write every page into DIR (created if missing) instead of printing mlqd.1' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -l redis-url -d 'Redis URL: redis:// or rediss:// (TLS) for one server, redis+sentinel://HOST:PORT[,…]/MASTER for Sentinel, redis+cluster://HOST:PORT[,…] for a Cluster (rediss+… for TLS) [default: the URL `mlqd up` left in ./.mlqd/redis.url when there is one, else redis://127.0.0.1:6379; `mlqd up` runs its own Redis when none is given]' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -l redis-ca -d 'PEM CA certificate to trust for TLS, in addition to the system roots' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -l redis-cert -d 'PEM client certificate to present (mutual TLS; with --redis-key)' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -l redis-key -d 'PEM private key of --redis-cert' -r -F
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -l namespace -d 'Key prefix, so several mlqd setups can share one Redis' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -l log-format -d 'Log format on stderr' -r -f -a "text\t''
json\t''"
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -l log-level -d 'Log level filter (e.g. `info`, `debug`, `mlqd=debug`)' -r
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -s h -l help -d 'Print help'
complete -c mlqd -n "__fish_mlqd_using_subcommand man" -s V -l version -d 'Print version'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "post" -d 'Post a job and print its id'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "status" -d 'Show a job\'s state, progress, attempts and history'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "result" -d 'Write a finished job\'s result bytes'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "cancel" -d 'Cancel a pending or running job'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "dlq" -d 'List, requeue or purge dead jobs'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "queues" -d 'Show every queue\'s counts and limits; set limits (`queues limit`)'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "jobs" -d 'List a queue\'s jobs in one state, a page at a time'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "cron" -d 'Periodic jobs: set, list or remove schedules'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "serve" -d 'Serve the HTTP API, /metrics and health probes'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "worker" -d 'Run jobs'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "reaper" -d 'Run the leader-elected maintenance only (lost jobs, due jobs, retention)'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "up" -d 'One-machine mode: Redis (managed), the HTTP API, a worker and the reaper in one process'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "workers" -d 'Show the live workers'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "top" -d 'Live view of queues, workers, throughput and the reaper leader'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "bench" -d 'Load generator: enqueue and drain throughput, start latency, Redis cost per job'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "completions" -d 'Print a shell completion script'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "man" -d 'Print the manual page, or write every page with --dir'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and not __fish_seen_subcommand_from post status result cancel dlq queues jobs cron serve worker reaper up workers top bench completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "list" -d 'List dead jobs, newest first'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "requeue" -d 'Put dead jobs back in their queue with a fresh retry budget'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and __fish_seen_subcommand_from dlq" -f -a "purge" -d 'Delete dead jobs for good'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and __fish_seen_subcommand_from queues" -f -a "limit" -d 'Set, change or clear a queue\'s limits (enforced across every worker)'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and __fish_seen_subcommand_from cron" -f -a "set" -d 'Create or replace a schedule'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and __fish_seen_subcommand_from cron" -f -a "list" -d 'Show every schedule: timing, queue, next and last run, last job'
complete -c mlqd -n "__fish_mlqd_using_subcommand help; and __fish_seen_subcommand_from cron" -f -a "rm" -d 'Delete a schedule (runs already posted stay in their queue)'
