#include "azure.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *const az_dir_name[AZ_NDIR] = { "Inbound", "Outbound" };
const char *const az_access_name[2] = { "Allow", "Deny" };
const char *const az_nexthop_name[AZ_NH_COUNT] = {
	"VnetLocal", "Internet", "None", "VirtualAppliance", "VirtualNetworkGateway", "VNetPeering",
};
const char *const az_tag_name[AZ_TAG_BUILTIN_COUNT] = {
	"VirtualNetwork", "AzureLoadBalancer", "Internet",
};

const struct az_default_rule az_default_rules[AZ_NDIR][AZ_DEFAULT_RULES_PER_DIR] = {
	[AZ_INBOUND] = {
		{ "AllowVnetInBound", "Allow inbound traffic from all VMs in VNET", AZ_INBOUND, 65000,
		  AZ_TAG_VIRTUALNETWORK, AZ_TAG_VIRTUALNETWORK, AZ_ALLOW },
		{ "AllowAzureLoadBalancerInBound", "Allow inbound traffic from azure load balancer",
		  AZ_INBOUND, 65001, AZ_TAG_AZURELOADBALANCER, -1, AZ_ALLOW },
		{ "DenyAllInBound", "Deny all inbound traffic", AZ_INBOUND, 65500, -1, -1, AZ_DENY },
	},
	[AZ_OUTBOUND] = {
		{ "AllowVnetOutBound", "Allow outbound traffic from all VMs to all VMs in VNET",
		  AZ_OUTBOUND, 65000, AZ_TAG_VIRTUALNETWORK, AZ_TAG_VIRTUALNETWORK, AZ_ALLOW },
		{ "AllowInternetOutBound", "Allow outbound traffic from all VMs to Internet",
		  AZ_OUTBOUND, 65001, -1, AZ_TAG_INTERNET, AZ_ALLOW },
		{ "DenyAllOutBound", "Deny all outbound traffic", AZ_OUTBOUND, 65500, -1, -1, AZ_DENY },
	},
};

/* nwsim's names for the platform exemption (documented in docs/semantics.md). */
const char *const az_platform_rule_name[2] = {
	"platformRules/AllowAzureHostOutBound", "platformRules/AllowInstanceMetadataOutBound",
};

const char *const az_not_internet[] = {
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4",
	"fc00::/7", "fe80::/10", "::1/128", "ff00::/8", NULL,
};

int az_dir_parse(const char *s)
{
	for (int i = 0; i < AZ_NDIR; i++)
		if (!strcasecmp(s, az_dir_name[i]))
			return i;
	return -1;
}

int az_access_parse(const char *s)
{
	for (int i = 0; i < 2; i++)
		if (!strcasecmp(s, az_access_name[i]))
			return i;
	return -1;
}

static const struct {
	const char *name;
	int proto;
} protos[] = {
	{ "Tcp", AZ_PROTO_TCP }, { "Udp", AZ_PROTO_UDP }, { "Icmp", AZ_PROTO_ICMP },
	{ "Esp", AZ_PROTO_ESP }, { "Ah", AZ_PROTO_AH },   { "*", AZ_PROTO_ANY },
};

int az_proto_parse(const char *s, int *p)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcasecmp(s, protos[i].name)) {
			*p = protos[i].proto;
			return 0;
		}
	if (!strcasecmp(s, "Any")) {
		*p = AZ_PROTO_ANY;
		return 0;
	}
	return -1;
}

const char *az_proto_name(int proto, char *buf)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	if (proto == AZ_PROTO_ICMPV6)
		return "Icmp";
	snprintf(buf, 8, "%d", proto);
	return buf;
}

/*
 * The names in the table of Microsoft's "Virtual network service tags" page
 * (learn.microsoft.com/azure/virtual-network/service-tags-overview). A file naming a tag that
 * is not here still works: this list only words the error when no file gave the tag.
 */
static const char *const service_tags[] = {
	"ActionGroup", "ApiManagement", "ApplicationInsightsAvailability", "AppConfiguration", "AppService",
	"AppServiceManagement", "AutonomousDevelopmentPlatform", "AzureActiveDirectory",
	"AzureActiveDirectoryDomainServices", "AzureAdvancedThreatProtection", "AzureArcInfrastructure",
	"AzureAttestation", "AzureBackup", "AzureBotService", "AzureCloud", "AzureCognitiveSearch",
	"AzureConnectors", "AzureContainerAppsService", "AzureContainerRegistry", "AzureCosmosDB",
	"AzureDatabricks", "AzureDataExplorerManagement", "AzureDataLake", "AzureDevOps", "AzureDevSpaces",
	"AzureDeviceUpdate", "AzureDigitalTwins", "AzureEventGrid", "AzureFrontDoor.Backend",
	"AzureFrontDoor.FirstParty", "AzureFrontDoor.Frontend", "AzureHealthcareAPIs", "AzureInformationProtection",
	"AzureIoTHub", "AzureKeyVault", "AzureLoadTestingInstanceManagement", "AzureMachineLearning",
	"AzureMachineLearningInference", "AzureManagedGrafana", "AzureMonitor", "AzureOpenDatasets",
	"AzurePlatformDNS", "AzurePlatformIMDS", "AzurePlatformLKM", "AzurePortal", "AzureResourceManager",
	"AzureSentinel", "AzureSignalR", "AzureSiteRecovery", "AzureSphere", "AzureSpringCloud", "AzureStack",
	"AzureTrafficManager", "AzureUpdateDelivery", "AzureWebPubSub", "BatchNodeManagement", "ChaosStudio",
	"CognitiveServicesFrontend", "CognitiveServicesManagement", "DataFactory", "DataFactoryManagement",
	"Dynamics365BusinessCentral", "Dynamics365ForMarketingEmail", "EOPExternalPublishedIPs", "EventHub",
	"GatewayManager", "GuestAndHybridManagement", "HDInsight", "KustoAnalytics", "LogicApps",
	"LogicAppsManagement", "M365ManagementActivityApi", "M365ManagementActivityApiWebhook", "Marketplace",
	"MicrosoftAzureFluidRelay", "MicrosoftCloudAppSecurity", "MicrosoftContainerRegistry",
	"MicrosoftDefenderForEndpoint", "MicrosoftPurviewPolicyDistribution", "OneDsCollector", "PowerBI",
	"PowerPlatformInfra", "PowerPlatformPlex", "PowerQueryOnline", "Scuba", "SerialConsole", "ServiceBus",
	"ServiceFabric", "Sql", "SqlManagement", "Storage", "StorageMover", "StorageSyncService", "VideoIndexer",
	"WindowsAdminCenter", "WindowsVirtualDesktop",
};

bool az_service_tag_known(const char *s)
{
	size_t base = strcspn(s, ".");

	for (size_t i = 0; i < sizeof(service_tags) / sizeof(service_tags[0]); i++)
		if (!strcasecmp(s, service_tags[i]) ||
		    (s[base] == '.' && strlen(service_tags[i]) == base && !strncasecmp(s, service_tags[i], base)))
			return true;
	return false;
}

int az_builtin_tag_parse(const char *s)
{
	static const char *const classic[AZ_TAG_BUILTIN_COUNT] = {
		"VIRTUAL_NETWORK", "AZURE_LOADBALANCER", "INTERNET",
	};

	for (int i = 0; i < AZ_TAG_BUILTIN_COUNT; i++)
		if (!strcasecmp(s, az_tag_name[i]) || !strcasecmp(s, classic[i]))
			return i;
	return -1;
}
