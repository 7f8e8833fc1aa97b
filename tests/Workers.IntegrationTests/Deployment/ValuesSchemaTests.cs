using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using NJsonSchema;
using NJsonSchema.Validation;
using Workers.Maintenance;
using Workers.Profiles;
using Workers.Service;

namespace Workers.IntegrationTests.Deployment;

/// <summary>helm/workers/values.yaml against helm/workers/values.schema.json with NJsonSchema (the check Helm runs on
/// install, upgrade and template), and the schema's refusals of values the service or the chart cannot take.</summary>
public sealed class ValuesSchemaTests
{
    [Fact]
    public async Task ValuesYaml_IsValidAgainstTheSchema()
    {
        var schema = await LoadSchemaAsync();
        var values = YamlJson.Load(DeploymentFiles.ValuesYaml);

        var errors = schema.Validate(values!.ToJsonString());

        Assert.True(errors.Count == 0, "values.yaml does not match values.schema.json:\n" + Describe(errors));
    }

    [Fact]
    public async Task TheSchema_IsStrict_EveryKeyOfValuesYamlIsDeclared()
    {
        // additionalProperties: false on the chart's own objects means a misspelt key (replicas, store.type) fails the
        // install instead of being ignored; here: every key values.yaml has is one the schema names.
        var schema = await LoadSchemaAsync();
        var values = YamlJson.Load(DeploymentFiles.ValuesYaml)!.AsObject();

        Assert.False(schema.AllowAdditionalProperties);
        var undeclared = values.Select(p => p.Key).Where(key => !schema.Properties.ContainsKey(key)).ToList();
        Assert.True(undeclared.Count == 0, "values.yaml keys the schema does not declare: " + string.Join(", ", undeclared));
    }

    public static TheoryData<string, string, string> Refusals => new()
    {
        // path, JSON value, why
        { "replicaCount", "\"2\"", "a number as a string" },
        { "replicaCount", "0", "no pod" },
        { "replicas", "1", "a misspelt key" },
        { "store.kind", "\"mysql\"", "an unknown store" },
        { "image.pullPolicy", "\"Sometimes\"", "not a Kubernetes pull policy" },
        { "profiles.claude.family", "\"claude-json\"", "an unknown family" },
        { "profiles.claude.pool.minReady", "-1", "a negative pool size" },
        { "profiles.claude.pool.maxProcesses", "0", "a profile that can run no process" },
        { "profiles.claude.pool.MinReady", "2", "a PascalCase key next to the camelCase one (a duplicate key for .NET)" },
        { "profiles.claude.timeouts.turn", "\"30m\"", "not a .NET TimeSpan" },
        { "profiles.claude.pool.workingDirectories", "[{\"name\":\"default\",\"path\":\"/srv/a\"}]", "the name of the profile's own set" },
        { "profiles.claude.pool.workingDirectories", "[{\"name\":\"Repo A\",\"path\":\"/srv/a\"}]", "a name unfit for a metric label" },
        { "profiles.claude.pool.workingDirectories", "[{\"name\":\"a\",\"path\":\"srv/a\"}]", "a relative path" },
        { "profiles.claude.env.ANTHROPIC_API_KEY", "42", "a non-string environment value" },
        { "profiles.claude.clientFileSystem", "\"yes\"", "a boolean as a string" },
        { "imageProfiles.maxProcesses", "0", "shipped profiles that can run no process" },
        { "config.service.apiTokens", "[\"t\"]", "a token in the ConfigMap instead of the Secret" },
        { "config.service.urls", "\"http://0.0.0.0:1\"", "the listen address outside containerPort" },
        { "config.maintenance.drainDeadline", "\"00:01:00\"", "the drain deadline outside shutdown.drainDeadlineSeconds" },
        { "shutdown.drainDeadlineSeconds", "0", "no drain" },
        { "persistence.accessModes", "[]", "a claim without access mode" },
        { "persistence.size", "\"ten gigs\"", "not a quantity" },
        { "config.logLevel.Default", "\"Verbose\"", "not a .NET log level" },
        { "containerPort", "70000", "not a port" },
        { "profiles.claude.enabled", "\"false\"", "a boolean as a string" },
        { "configDirectory.mountPath", "\"/app\"", "a config mount that would hide the service" },
        { "configDirectory.mountPath", "\"etc/workers\"", "a relative mount path" },
        { "configDirectory.usePollingFileWatcher", "\"true\"", "a boolean as a string" },
        { "shutdown.stopSeconds", "25", "the grace period's former key" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task TheSchema_Refuses(string path, string json, string why)
    {
        var schema = await LoadSchemaAsync();
        var values = YamlJson.Load(DeploymentFiles.ValuesYaml)!;
        Set(values, path, JsonNode.Parse(json));

        var errors = schema.Validate(values.ToJsonString());

        Assert.True(errors.Count > 0, $"values.schema.json accepts {path} = {json} ({why}).");
    }

    /// <summary>The schema closes the service's option objects (additionalProperties: false): it must name every setting
    /// the service binds, camelCase, and nothing else, or a valid setting is refused (or a typo admitted).</summary>
    [Fact]
    public async Task TheSchema_DeclaresEverySettingOfTheService_AndNoOther()
    {
        var schema = await LoadSchemaAsync();
        var profile = schema.Properties["profiles"].AdditionalPropertiesSchema!.AnyOf.Single(s => s.Type.HasFlag(JsonObjectType.Object));
        var config = schema.Properties["config"];
        var mismatches = new List<string>();

        Compare("profiles.<name>", profile, typeof(AgentProfile), ["Name"], ["memoryPerProcessMiB"], mismatches);
        Compare("profiles.<name>.timeouts", profile.Properties["timeouts"], typeof(ProfileTimeouts), [], [], mismatches);
        Compare("profiles.<name>.permissions", profile.Properties["permissions"], typeof(PermissionPolicy), [], [], mismatches);
        Compare("profiles.<name>.sandbox", profile.Properties["sandbox"], typeof(SandboxOptions), [], [], mismatches);
        var pool = profile.Properties["pool"];
        Compare("profiles.<name>.pool", pool, typeof(PoolOptions), [], [], mismatches);
        Compare("profiles.<name>.pool.adaptive", pool.Properties["adaptive"], typeof(AdaptivePrewarmOptions), [], [], mismatches);
        Compare("profiles.<name>.pool.schedules[]", pool.Properties["schedules"].Item!, typeof(PoolSchedule), [], [], mismatches);
        Compare("profiles.<name>.pool.workingDirectories[]", pool.Properties["workingDirectories"].Item!, typeof(PrewarmDirectory), [], [],
            mismatches);
        // Urls, ApiTokens and DrainDeadline come from containerPort, secrets and shutdown instead.
        Compare("config.service", config.Properties["service"], typeof(ServiceOptions), ["Urls", "ApiTokens"], [], mismatches);
        Compare("config.maintenance", config.Properties["maintenance"], typeof(MaintenanceOptions), ["DrainDeadline"], [], mismatches);

        Assert.True(mismatches.Count == 0, "values.schema.json and the service's options differ:\n" + string.Join('\n', mismatches));
    }

    private static void Compare(string where, JsonSchema schema, Type options, string[] notInValues, string[] chartOnly, List<string> mismatches)
    {
        var settings = options.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && !notInValues.Contains(p.Name))
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
            .ToHashSet(StringComparer.Ordinal);
        var declared = schema.ActualSchema.Properties.Keys.Where(k => !chartOnly.Contains(k)).ToHashSet(StringComparer.Ordinal);
        mismatches.AddRange(settings.Except(declared).Select(k => $"  {where}.{k}: a setting of {options.Name} the schema does not declare"));
        mismatches.AddRange(declared.Except(settings).Select(k => $"  {where}.{k}: declared by the schema, not a setting of {options.Name}"));
    }

    private static Task<JsonSchema> LoadSchemaAsync() => JsonSchema.FromJsonAsync(File.ReadAllText(DeploymentFiles.ValuesSchema));

    private static void Set(JsonNode root, string path, JsonNode? value)
    {
        var segments = path.Split('.');
        var current = root.AsObject();
        foreach (var segment in segments[..^1])
        {
            if (current[segment] is not JsonObject next)
            {
                next = [];
                current[segment] = next;
            }

            current = next;
        }

        current[segments[^1]] = value;
    }

    private static string Describe(IEnumerable<ValidationError> errors) =>
        string.Join('\n', errors.SelectMany(Flatten).Select(e => $"  {e.Path}: {e.Kind} (line {e.LineNumber})"));

    private static IEnumerable<ValidationError> Flatten(ValidationError error) =>
        error is ChildSchemaValidationError child ? [error, .. child.Errors.SelectMany(e => e.Value).SelectMany(Flatten)] : [error];
}
