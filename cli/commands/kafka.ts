import { Command } from 'commander';
import { type Config } from '../../infra/config.ts';
import { createKafka, ensureTopics } from '../../infra/kafka/client.ts';
import {
  fetchKafkaJars,
  localBrokerStatus,
  startLocalBroker,
  stopLocalBroker,
} from '../../infra/kafka/broker.ts';

/** `cxpulse kafka start|fetch|stop|status`: the local single-node broker. */
export function registerKafkaCommands(program: Command, config: () => Config): void {
  kafkaCommands(program, config);
}

function kafkaCommands(program: Command, config: () => Config): void {
  const kafka = program.command('kafka').description('The local single-node Kafka broker (KRaft).');
  kafka
    .command('start')
    .description('Fetch Kafka from Maven Central if needed and start the broker in the background.')
    .action(async () => {
      const cfg = config();
      const res = await startLocalBroker({ ...cfg.kafka.local, detached: true });
      await ensureTopics(createKafka(cfg.kafka), cfg.kafka);
      process.stdout.write(
        `${res.alreadyRunning ? 'already running' : 'started'}: ${res.brokers.join(',')} (pid ${res.pid})\n`,
      );
    });
  kafka
    .command('fetch')
    .description(
      'Fetch the Kafka broker jars from Maven Central into .cache/ (done by `start` when missing).',
    )
    .action(async () => {
      const libs = await fetchKafkaJars(config().kafka.local.version);
      process.stdout.write(`Kafka jars in ${libs}\n`);
    });
  kafka
    .command('stop')
    .description('Stop the local broker.')
    .action(async () => {
      const was = await stopLocalBroker(config().kafka.local);
      process.stdout.write(was ? 'stopped\n' : 'not running\n');
    });
  kafka
    .command('status')
    .description('Is the local broker running?')
    .action(async () => {
      const s = await localBrokerStatus(config().kafka.local);
      process.stdout.write(s.running ? `running: ${s.brokers.join(',')} (pid ${s.pid})\n` : 'not running\n');
      process.exitCode = s.running ? 0 : 1;
    });
}
