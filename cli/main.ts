import { Command } from 'commander';
import { loadConfig, type Config } from '../infra/config.ts';
import { CxError, errorMessage } from '../infra/errors.ts';
import { logger } from '../infra/logger.ts';
import { registerDataCommands } from './commands/data.ts';
import { registerKafkaCommands } from './commands/kafka.ts';
import { registerReadCommands } from './commands/read.ts';
import { registerServeCommands } from './commands/serve.ts';

/** The `cxpulse` command: each group of commands registers itself (cli/commands/); errors end here. */
const log = logger('cli');

function config(): Config {
  return loadConfig();
}

const program = new Command('cxpulse')
  .description(
    'Customer-experience analytics: events through Kafka into ClickHouse, KPIs, dashboards, reports.',
  )
  .showHelpAfterError();
registerServeCommands(program, config);
registerReadCommands(program, config);
registerDataCommands(program, config);
registerKafkaCommands(program, config);

program.parseAsync(process.argv).catch((err: unknown) => {
  const code = err instanceof CxError ? err.code : 'internal';
  log.fatal({ event_name: 'command_failed', code, err: errorMessage(err) }, errorMessage(err));
  process.stderr.write(`cxpulse: ${errorMessage(err)}\n`);
  process.exit(1);
});
