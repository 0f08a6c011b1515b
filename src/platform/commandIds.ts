/** Every command id in one place. Each must also be contributed in package.json (a test checks both ways). */
export const Commands = {
  showLog: 'rabbitmq.showLog',
  // explorer (#4)
  addConnection: 'rabbitmq.addConnection',
  editConnection: 'rabbitmq.editConnection',
  removeConnection: 'rabbitmq.removeConnection',
  connect: 'rabbitmq.connect',
  disconnect: 'rabbitmq.disconnect',
  connectLocalhost: 'rabbitmq.connectLocalhost',
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
  // messaging (#5)
  publish: 'rabbitmq.publish',
  publishBulk: 'rabbitmq.publishBulk',
  peek: 'rabbitmq.peek',
  consume: 'rabbitmq.consume',
  // RPC (#6)
  rpcCall: 'rabbitmq.rpcCall',
  // patterns (#7)
  generateCode: 'rabbitmq.generateCode',
  // where messages go (#8)
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
