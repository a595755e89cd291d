"""The type token of every resource the program creates (and the few more the policy pack or the pricers read).

The engine names a resource type `<package>:<module>/<name>:<Name>`. Plans, policy rules, the cost pricers and
the CLI's resource tree key on these tokens; they are spelt here once.
"""

from __future__ import annotations

# --- Google Cloud (pulumi-gcp) ----------------------------------------------------------------------------------
ARTIFACT_REGISTRY_REPOSITORY = "gcp:artifactregistry/repository:Repository"
CLOUD_RUN_SERVICE = "gcp:cloudrunv2/service:Service"
CLOUD_RUN_IAM_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
CLOUD_RUN_IAM_BINDING = "gcp:cloudrunv2/serviceIamBinding:ServiceIamBinding"
ADDRESS = "gcp:compute/address:Address"
GLOBAL_ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
FORWARDING_RULE = "gcp:compute/forwardingRule:ForwardingRule"
GLOBAL_FORWARDING_RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
VPC_NETWORK = "gcp:compute/network:Network"
ROUTER = "gcp:compute/router:Router"
ROUTER_NAT = "gcp:compute/routerNat:RouterNat"
SUBNETWORK = "gcp:compute/subnetwork:Subnetwork"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
PROJECT_IAM_MEMBER = "gcp:projects/iAMMember:IAMMember"
PROJECT_SERVICE = "gcp:projects/service:Service"
REDIS_INSTANCE = "gcp:redis/instance:Instance"
SECRET = "gcp:secretmanager/secret:Secret"
SECRET_IAM_MEMBER = "gcp:secretmanager/secretIamMember:SecretIamMember"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
SERVICE_ACCOUNT = "gcp:serviceaccount/account:Account"
SERVICE_ACCOUNT_IAM_MEMBER = "gcp:serviceaccount/iAMMember:IAMMember"
SERVICE_NETWORKING_CONNECTION = "gcp:servicenetworking/connection:Connection"
SQL_DATABASE = "gcp:sql/database:Database"
SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
SQL_USER = "gcp:sql/user:User"
VPC_ACCESS_CONNECTOR = "gcp:vpcaccess/connector:Connector"

# --- Others (pulumi-docker, pulumi-random) ----------------------------------------------------------------------
DOCKER_IMAGE = "docker:index/image:Image"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"

# --- Kubernetes (pulumi-kubernetes) -----------------------------------------------------------------------------
KUBERNETES_PREFIX = "kubernetes:"
PROVIDER_PREFIX = "pulumi:providers:"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"
K8S_NAMESPACE = "kubernetes:core/v1:Namespace"
K8S_SECRET = "kubernetes:core/v1:Secret"
K8S_SERVICE = "kubernetes:core/v1:Service"
K8S_SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
K8S_POD = "kubernetes:core/v1:Pod"
K8S_DEPLOYMENT = "kubernetes:apps/v1:Deployment"
K8S_STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
K8S_DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
K8S_JOB = "kubernetes:batch/v1:Job"
K8S_CRON_JOB = "kubernetes:batch/v1:CronJob"
K8S_HORIZONTAL_POD_AUTOSCALER = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
K8S_NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
K8S_POD_DISRUPTION_BUDGET = "kubernetes:policy/v1:PodDisruptionBudget"
