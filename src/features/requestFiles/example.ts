/** The commented example "New Request File" writes (its text is English like every request file keyword). */
export const EXAMPLE_REQUEST_FILE = `# A RabbitMQ request file. Blocks start with ###; run one with the "Run" CodeLens above it,
# or put the cursor in it and run "RabbitMQ: Run Request Block".
# The file runs on the active connection. To pin one, write these two lines at the top:
#   # @connection <saved connection name>
#   # @vhost /
# Variables: "@name = value", used as {{name}}. Environments come from the rabbitmq.environments setting
# (chosen in the status bar); .env values through {{$dotenv NAME}}. Built-ins: {{$uuid}}, {{$timestamp}},
# {{$isoTimestamp}}, {{$randomInt 1 100}}, {{$counter}}, {{$faker person.fullName}}.

@tenant = acme

### Declare a durable queue
DECLARE queue task_queue durable

### Publish 5 persistent JSON messages (templates are evaluated for each one)
PUBLISH "" task_queue x 5
content-type: application/json
persistent
message-id: {{$uuid}}
header x-tenant: {{tenant}}
mandatory

{"n": {{$counter}}, "sent": "{{$isoTimestamp}}", "qty": {{$randomInt 1 10}}}

### Look at the messages without taking them
PEEK task_queue 5

### Take one and acknowledge it
CONSUME task_queue 1 ack
`;
