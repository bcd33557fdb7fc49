#!/bin/bash
# First EMR step (primary node): start a detached Flink session on YARN and
# the Beam Flink job server in front of it, then wait until the job server
# accepts jobs on localhost:8099. The second step runs spindle against it.
#   start-job-server.sh ARTIFACTS_BUCKET JOB_SERVER_JAR_KEY
set -euo pipefail
bucket=$1 jar_key=$2
home=/home/hadoop/beam
mkdir -p "$home"
aws s3 cp --only-show-errors "s3://$bucket/$jar_key" "$home/job-server.jar"
flink-yarn-session -d -nm spindle-flink-session
# The session's REST address, as YARN reports it.
app=$(yarn application -list -appStates RUNNING 2>/dev/null | awk '/spindle-flink-session/ {print $1; exit}')
[ -n "$app" ] || { echo "no running Flink session on YARN" >&2; exit 1; }
rest=$(yarn application -status "$app" 2>/dev/null | sed -n 's/.*Tracking-URL : http:\/\/\([^/]*\).*/\1/p')
[ -n "$rest" ] || { echo "cannot find the Flink session's REST address" >&2; exit 1; }
nohup java -jar "$home/job-server.jar" --flink-master="$rest" --job-port=8099 --artifact-port=8098 --expansion-port=8097 \
  > "$home/job-server.log" 2>&1 &
for _ in $(seq 120); do
  if (exec 3<>/dev/tcp/127.0.0.1/8099) 2>/dev/null; then
    echo "Beam job server ready on localhost:8099 (Flink at $rest)"
    exit 0
  fi
  sleep 2
done
echo "the Beam job server did not start; see $home/job-server.log" >&2
exit 1
