// IntentOps on Azure Container Apps: Log Analytics + Application Insights, a Container Apps
// environment, the HTTP API (external ingress, probes, scaling on concurrent requests) and the
// NATS worker, each with an OpenTelemetry collector sidecar exporting to Application Insights.
// PostgreSQL (Azure Database for PostgreSQL flexible server), Redis (Azure Cache for Redis), NATS
// and Azure OpenAI are existing services, passed in by URI / endpoint. The image comes from an
// existing Azure Container Registry, pulled with a user-assigned identity (no registry password).
//
//   az deployment group create -g RG -f deploy/azure/main.bicep -p @deploy/azure/main.parameters.json \
//     -p postgresUri=... redisUri=... brokerUri=... apiKeyHashes=... azureOpenAiApiKey=...
//
// See docs/deploy.md.

targetScope = 'resourceGroup'

@description('Region of every resource created here.')
param location string = resourceGroup().location

@description('Prefix of the resource names.')
@minLength(3)
@maxLength(20)
param namePrefix string = 'intentops'

@description('Name of the existing Azure Container Registry (same resource group) that holds the image.')
param acrName string

@description('Repository and tag or digest in that registry, e.g. intentops:0.1.0 or intentops@sha256:...')
param image string

@description('Fewest API replicas (0 lets the API scale to zero when idle; the first request then waits for a start).')
@minValue(0)
@maxValue(30)
param apiMinReplicas int = 2

@description('Most API replicas.')
@minValue(1)
@maxValue(300)
param apiMaxReplicas int = 10

@description('Concurrent HTTP requests per API replica before another one is added.')
@minValue(1)
param apiConcurrentRequests int = 50

@description('Fewest worker replicas.')
@minValue(0)
@maxValue(30)
param workerMinReplicas int = 1

@description('Most worker replicas.')
@minValue(1)
@maxValue(300)
param workerMaxReplicas int = 5

@secure()
@description('PostgreSQL URI for the review queue, tracking and registry, e.g. postgres://USER:PASSWORD@SERVER.postgres.database.azure.com:5432/intentops?sslmode=require')
param postgresUri string

@secure()
@description('Redis URI for the answer cache and rate limits, e.g. rediss://:ACCESS_KEY@NAME.redis.cache.windows.net:6380/0')
param redisUri string

@secure()
@description('NATS (JetStream) URI for the worker, e.g. nats://USER:PASSWORD@HOST:4222')
param brokerUri string

@secure()
@description('API keys as name:sha256 pairs, comma-separated (intentops dev hash-key KEY --name NAME)')
param apiKeyHashes string

@description('LLM fallback: openai-chat (Azure OpenAI below) or none (unsure messages go to review).')
@allowed([
  'openai-chat'
  'none'
])
param llmProvider string = 'openai-chat'

@description('Azure OpenAI endpoint, e.g. https://NAME.openai.azure.com')
param azureOpenAiEndpoint string

@secure()
@description('Azure OpenAI API key')
param azureOpenAiApiKey string

@description('Azure OpenAI chat deployment name used for the fallback')
param azureOpenAiChatDeployment string

@description('Azure OpenAI API version')
param azureOpenAiApiVersion string = '2024-10-21'

@description('Log level of the app')
@allowed([
  'error'
  'warn'
  'info'
  'debug'
])
param logLevel string = 'info'

@description('OpenTelemetry collector image of the sidecars')
param otelCollectorImage string = 'otel/opentelemetry-collector-contrib:0.116.0'

var acrPullRoleId = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var appPort = 8080

resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: '${namePrefix}-logs'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${namePrefix}-identity'
  location: location
}

resource acr 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: acrName
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(acr.id, identity.id, acrPullRoleId)
  scope: acr
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPullRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource appsEnvironment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${namePrefix}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

// Secrets of both apps: referenced by name from env (secretRef), never written into env values.
var secrets = [
  { name: 'postgres-uri', value: postgresUri }
  { name: 'redis-uri', value: redisUri }
  { name: 'broker-uri', value: brokerUri }
  { name: 'api-keys', value: apiKeyHashes }
  { name: 'azure-openai-api-key', value: azureOpenAiApiKey }
  { name: 'appinsights-connection-string', value: insights.properties.ConnectionString }
  { name: 'otel-collector-config', value: loadTextContent('otel-collector.yaml') }
]

// The environment both containers read (the app's env catalogue: intentops config --env).
var appEnv = [
  { name: 'INTENTOPS_PORT', value: string(appPort) }
  { name: 'INTENTOPS_WORKERS', value: '1' }
  { name: 'INTENTOPS_LOG_LEVEL', value: logLevel }
  { name: 'INTENTOPS_REVIEW_URI', secretRef: 'postgres-uri' }
  { name: 'INTENTOPS_EVENTS_URI', secretRef: 'postgres-uri' }
  { name: 'INTENTOPS_TRACKING_URI', secretRef: 'postgres-uri' }
  { name: 'INTENTOPS_REGISTRY_URI', secretRef: 'postgres-uri' }
  { name: 'INTENTOPS_CACHE_URI', secretRef: 'redis-uri' }
  { name: 'INTENTOPS_RATE_LIMIT_URI', secretRef: 'redis-uri' }
  { name: 'INTENTOPS_SPEND_URI', secretRef: 'redis-uri' }
  { name: 'INTENTOPS_BROKER_URI', secretRef: 'broker-uri' }
  { name: 'INTENTOPS_API_KEYS', secretRef: 'api-keys' }
  { name: 'INTENTOPS_LLM_PROVIDER', value: llmProvider }
  { name: 'AZURE_OPENAI_ENDPOINT', value: azureOpenAiEndpoint }
  { name: 'AZURE_OPENAI_API_KEY', secretRef: 'azure-openai-api-key' }
  { name: 'AZURE_OPENAI_CHAT_DEPLOYMENT', value: azureOpenAiChatDeployment }
  { name: 'AZURE_OPENAI_API_VERSION', value: azureOpenAiApiVersion }
  // traces go to the collector sidecar in the same replica, which exports to Application Insights
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', value: 'http://localhost:4318' }
]

// The sidecar: OTLP in on localhost, Application Insights out (otel-collector.yaml beside this file).
var collector = {
  name: 'otel-collector'
  image: otelCollectorImage
  args: [ '--config=/etc/otelcol-contrib/config.yaml' ]
  resources: {
    cpu: json('0.25')
    memory: '0.5Gi'
  }
  env: [
    { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', secretRef: 'appinsights-connection-string' }
  ]
  volumeMounts: [
    { volumeName: 'otel-config', mountPath: '/etc/otelcol-contrib' }
  ]
}

var collectorVolumes = [
  {
    name: 'otel-config'
    storageType: 'Secret'
    secrets: [
      { secretRef: 'otel-collector-config', path: 'config.yaml' }
    ]
  }
]

var registries = [
  { server: acr.properties.loginServer, identity: identity.id }
]

var appIdentity = {
  type: 'UserAssigned'
  userAssignedIdentities: {
    '${identity.id}': {}
  }
}

resource api 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${namePrefix}-api'
  location: location
  identity: appIdentity
  dependsOn: [ acrPull ]
  properties: {
    managedEnvironmentId: appsEnvironment.id
    configuration: {
      // one revision takes all traffic; a new one gets it once its readiness probe passes
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: appPort
        transport: 'auto'
        allowInsecure: false
      }
      registries: registries
      secrets: secrets
    }
    template: {
      containers: [
        {
          name: 'api'
          image: '${acr.properties.loginServer}/${image}'
          args: [ 'serve', '--model', '/opt/intentops/model' ]
          resources: {
            cpu: json('0.75')
            memory: '1.5Gi'
          }
          env: concat(appEnv, [
            { name: 'INTENTOPS_HOST', value: '0.0.0.0' }
            { name: 'OTEL_SERVICE_NAME', value: 'intentops-api' }
          ])
          // readiness: model loaded, review store, cache and rate limiter reachable; 503 while draining
          probes: [
            { type: 'Startup', httpGet: { path: '/healthz', port: appPort }, periodSeconds: 3, failureThreshold: 10 }
            { type: 'Liveness', httpGet: { path: '/healthz', port: appPort }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: appPort }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 2 }
          ]
        }
        collector
      ]
      volumes: collectorVolumes
      scale: {
        minReplicas: apiMinReplicas
        maxReplicas: apiMaxReplicas
        rules: [
          {
            name: 'http-concurrency'
            http: {
              metadata: {
                concurrentRequests: string(apiConcurrentRequests)
              }
            }
          }
        ]
      }
    }
  }
}

resource worker 'Microsoft.App/containerApps@2024-03-01' = {
  name: '${namePrefix}-worker'
  location: location
  identity: appIdentity
  dependsOn: [ acrPull ]
  properties: {
    managedEnvironmentId: appsEnvironment.id
    configuration: {
      activeRevisionsMode: 'Single'
      registries: registries
      secrets: secrets
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: '${acr.properties.loginServer}/${image}'
          // the broker comes from INTENTOPS_BROKER_URI (a secret, so not on the command line)
          args: [ 'worker', '--model', '/opt/intentops/model' ]
          resources: {
            cpu: json('0.75')
            memory: '1.5Gi'
          }
          env: concat(appEnv, [
            { name: 'OTEL_SERVICE_NAME', value: 'intentops-worker' }
          ])
        }
        collector
      ]
      volumes: collectorVolumes
      scale: {
        minReplicas: workerMinReplicas
        maxReplicas: workerMaxReplicas
        rules: [
          {
            name: 'cpu'
            custom: {
              type: 'cpu'
              metadata: {
                type: 'Utilization'
                value: '70'
              }
            }
          }
        ]
      }
    }
  }
}

output apiUrl string = 'https://${api.properties.configuration.ingress.fqdn}'
output apiAppName string = api.name
output workerAppName string = worker.name
output applicationInsightsName string = insights.name
