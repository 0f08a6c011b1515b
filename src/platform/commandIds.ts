/** Every command id in one place. Each must also be contributed in package.json (a test checks both ways). */
export const Commands = {
  showLog: 'rabbitmq.showLog',
  // connections, explorer, broker objects
  addConnection: 'rabbitmq.addConnection',
  editConnection: 'rabbitmq.editConnection',
  removeConnection: 'rabbitmq.removeConnection',
  connect: 'rabbitmq.connect',
  disconnect: 'rabbitmq.disconnect',
  connectLocalhost: 'rabbitmq.connectLocalhost',
  retryNow: 'rabbitmq.retryNow',
  refresh: 'rabbitmq.refresh',
  refreshAll: 'rabbitmq.refreshAll',
  loadMore: 'rabbitmq.loadMore',
  filter: 'rabbitmq.filter',
  clearFilter: 'rabbitmq.clearFilter',
  declareExchange: 'rabbitmq.declareExchange',
  declareQueue: 'rabbitmq.declareQueue',
  deleteExchange: 'rabbitmq.deleteExchange',
  deleteQueue: 'rabbitmq.deleteQueue',
  purgeQueue: 'rabbitmq.purgeQueue',
  bind: 'rabbitmq.bind',
  unbind: 'rabbitmq.unbind',
  copyName: 'rabbitmq.copyName',
  openInManagementUI: 'rabbitmq.openInManagementUI',
  // messaging
  publish: 'rabbitmq.publish',
  publishBulk: 'rabbitmq.publishBulk',
  peek: 'rabbitmq.peek',
  consume: 'rabbitmq.consume',
  // dead letters and moving messages
  moveMessages: 'rabbitmq.moveMessages',
  redriveDeadLetters: 'rabbitmq.redriveDeadLetters',
  exportQueue: 'rabbitmq.exportQueue',
  importMessages: 'rabbitmq.importMessages',
  refreshDeadLetters: 'rabbitmq.refreshDeadLetters',
  peekDeadLetters: 'rabbitmq.peekDeadLetters',
  // RPC
  rpcCall: 'rabbitmq.rpcCall',
  // code generation
  generateCode: 'rabbitmq.generateCode',
  // routing: route tester, topology graph, live tap
  testRoute: 'rabbitmq.testRoute',
  showTopology: 'rabbitmq.showTopology',
  tap: 'rabbitmq.tap',
  stopTap: 'rabbitmq.stopTap',
  // request files
  newRequestFile: 'rabbitmq.newRequestFile',
  runRequestBlock: 'rabbitmq.runRequestBlock',
  copyRequestAsCode: 'rabbitmq.copyRequestAsCode',
  selectRequestEnvironment: 'rabbitmq.selectRequestEnvironment',
  showRequestResults: 'rabbitmq.showRequestResults',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];
