/**
 * Every Kafka topic cxpulse uses, built in one place (the DLQ included). A deployment-wide prefix keeps
 * environments (and test runs) apart on a shared cluster.
 */
export const TOPIC_KINDS = ['interactions', 'surveys', 'customers', 'dlq'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];
export type EventTopicKind = Exclude<TopicKind, 'dlq'>;

export type Topics = Record<TopicKind, string>;

export function topicNames(prefix = ''): Topics {
  return {
    interactions: `${prefix}cx.interactions`,
    surveys: `${prefix}cx.surveys`,
    customers: `${prefix}cx.customers`,
    dlq: `${prefix}cx.dlq`,
  };
}

/** The kind of a topic name, or undefined when it is not one of ours. */
export function topicKind(topics: Topics, name: string): TopicKind | undefined {
  return TOPIC_KINDS.find((k) => topics[k] === name);
}
