/**
 * The files and arguments a local Kafka JVM runs with: server.properties of the single local broker,
 * log4j2.properties (log to broker.log, never to the console), the JVM's flags. Pure: text in, text out.
 */
import { HOST } from './ports.ts';
import type { StatePaths } from './state.ts';

/** server.properties of the single local broker: broker and controller in one process, on 127.0.0.1. */
export function serverProperties(
  opts: { port: number; controllerPort: number; defaultPartitions?: number },
  p: StatePaths,
): string {
  const partitions = opts.defaultPartitions ?? 6;
  return `# Written by cxpulse on every start of the local broker (edits are overwritten).
# Single node, KRaft: broker and controller in one process, listening on ${HOST} only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@${HOST}:${opts.controllerPort}
listeners=PLAINTEXT://${HOST}:${opts.port},CONTROLLER://${HOST}:${opts.controllerPort}
advertised.listeners=PLAINTEXT://${HOST}:${opts.port}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=${p.data}

# Topics are created by cxpulse (ensureTopics) with explicit partitions and retention.
auto.create.topics.enable=false
num.partitions=${partitions}
default.replication.factor=1
min.insync.replicas=1
log.retention.hours=168
log.retention.check.interval.ms=300000
log.segment.bytes=268435456

# One node: internal topics cannot be replicated.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
`;
}

/** log4j2.properties: INFO to broker.log, rolled at 50 MB; per-request logging only on trouble. */
export function log4jProperties(p: StatePaths): string {
  return `# Written by cxpulse: the local broker logs to ${p.log} (INFO), never to the console.
status = warn
name = cxpulse-local-kafka
# Kafka's own shutdown hook logs until the very end; log4j must not close the file before it.
shutdownHook = disable

appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = ${p.log}
appender.file.filePattern = ${p.log}.%i
appender.file.append = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3

rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE

# As Kafka's own defaults: per-request logging only when something is wrong.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.requestChannel.name = kafka.network.RequestChannel$
logger.requestChannel.level = WARN
logger.zstd.name = com.github.luben.zstd
logger.zstd.level = WARN
`;
}

/** The broker JVM's flags, as Kafka's own start script sets them (G1, headless, log4j to this state dir). */
export function jvmArgs(p: StatePaths, heapMb: number): string[] {
  return [
    `-Xms${heapMb}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:MaxInlineLevel=15',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${p.log4j}`,
    `-Dkafka.logs.dir=${p.dir}`,
  ];
}
