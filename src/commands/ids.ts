/** Every command id in one place. Each must also be contributed in package.json (a test checks both ways). */
export const Commands = {
  showLog: 'rabbitmq.showLog',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];
