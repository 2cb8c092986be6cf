/*
 * ARM template expressions: every function, nesting, quoting, escapes, lazy if(), copy loops,
 * parameters and variables, and the errors a user sees. Expected values are ARM's documented
 * results (Microsoft's template function reference) where it gives one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arm_expr.h"

static const char *TEMPLATE_PARAMS = "{"
				     "\"prefix\": {\"type\": \"string\", \"defaultValue\": \"web\"},"
				     "\"count\": {\"type\": \"int\", \"defaultValue\": 3},"
				     "\"loc\": {\"type\": \"string\", \"defaultValue\": \"[resourceGroup().location]\"},"
				     "\"tier\": {\"type\": \"string\", \"allowedValues\": [\"a\", \"b\"], \"defaultValue\": \"a\"},"
				     "\"nodefault\": {\"type\": \"string\"},"
				     "\"empty\": {\"type\": \"string\", \"defaultValue\": \"\"},"
				     "\"bad\": {\"type\": \"string\", \"allowedValues\": [\"a\"], \"defaultValue\": \"z\"}"
				     "}";
static const char *TEMPLATE_VARS = "{"
				   "\"nsgName\": \"[concat(parameters('prefix'), '-nsg')]\","
				   "\"space\": \"10.0.0.0/16\","
				   "\"obj\": {\"a\": 1, \"b\": {\"c\": [\"x\", \"y\"]}},"
				   "\"derived\": \"[variables('nsgName')]\","
				   "\"loop1\": \"[variables('loop2')]\","
				   "\"loop2\": \"[variables('loop1')]\","
				   "\"copy\": [{\"name\": \"subnets\", \"count\": 2,"
				   "  \"input\": {\"name\": \"[concat('s', copyIndex('subnets'))]\","
				   "             \"prefix\": \"[cidrSubnet(variables('space'), 24, copyIndex('subnets'))]\"}}]"
				   "}";

struct fix {
	cJSON *params, *given, *vars;
	struct ax_ctx x;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	f->params = cJSON_Parse(TEMPLATE_PARAMS);
	f->given = cJSON_Parse("{\"prefix\": \"app\"}");
	f->vars = cJSON_Parse(TEMPLATE_VARS);
	assert_non_null(f->params);
	assert_non_null(f->vars);
	ax_init(&f->x, f->params, f->given, f->vars, "00000000-0000-0000-0000-000000000001", "rg1", "westeurope", "dep1");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ax_free(&f->x);
	cJSON_Delete(f->params);
	cJSON_Delete(f->given);
	cJSON_Delete(f->vars);
	free(f);
	return 0;
}

/* The value as compact JSON, or "error: message". */
static char *ev(struct ax_ctx *x, const char *s)
{
	struct nws_err err = { { 0 } };
	cJSON *v = ax_string(x, s, &err);
	char *r;

	if (!v) {
		r = malloc(strlen(err.msg) + 8);
		sprintf(r, "error: %s", err.msg);
		return r;
	}
	r = cJSON_PrintUnformatted(v);
	cJSON_Delete(v);
	return r;
}

static void check(struct ax_ctx *x, const char *expr, const char *want)
{
	char *got = ev(x, expr);

	if (strcmp(got, want))
		fail_msg("%s\n  got  %s\n  want %s", expr, got, want);
	free(got);
}

/* The error starts with want (the rest is the quoted expression's context). */
static void check_err(struct ax_ctx *x, const char *expr, const char *part)
{
	char *got = ev(x, expr);

	if (strncmp(got, "error: ", 7) || !strstr(got, part))
		fail_msg("%s\n  got  %s\n  want an error with: %s", expr, got, part);
	free(got);
}

static void test_literals_and_quoting(void **state)
{
	struct ax_ctx *x = &((struct fix *)*state)->x;

	check(x, "plain text", "\"plain text\"");
	check(x, "[[not an expression]", "\"[not an expression]\"");
	check(x, "[['x']", "\"['x']\"");
	check_err(x, "[]", "the expression ends where a value was expected");
	check(x, "['it''s']", "\"it's\"");
	check(x, "['']", "\"\"");
	check(x, "[''''] ", "\"[''''] \"");
	/* JSON's escapes are undone before ARM sees the text: one quote, one backslash. */
	check(x, "['a\"b\\c']", "\"a\\\"b\\\\c\"");
	check(x, "[42]", "42");
	check(x, "[-7]", "-7");
	check(x, "[ concat( 'a' , 'b' ) ]", "\"ab\"");
	check(x, "[true]", "true");
	check(x, "[null()]", "null");
	check_err(x, "['open]", "a string is not closed");
	check_err(x, "[concat('a' 'b')]", "expected ',' or ')'");
	check_err(x, "[concat('a',)]", "an argument is missing");
	check_err(x, "[concat('a')) ]", "unexpected ') ' after the expression");
	check_err(x, "[1.5]", "is not an integer");
	check_err(x, "[foo]", "'foo' is neither a function call nor a literal");
}

static void test_parameters_variables(void **state)
{
	struct ax_ctx *x = &((struct fix *)*state)->x;

	check(x, "[parameters('prefix')]", "\"app\"");
	check(x, "[parameters('PREFIX')]", "\"app\"");
	check(x, "[parameters('count')]", "3");
	check(x, "[parameters('loc')]", "\"westeurope\"");
	check(x, "[parameters('tier')]", "\"a\"");
	check(x, "[parameters('empty')]", "\"\"");
	check(x, "[variables('nsgName')]", "\"app-nsg\"");
	check(x, "[variables('derived')]", "\"app-nsg\"");
	check(x, "[variables('obj').b.c[1]]", "\"y\"");
	check(x, "[variables('obj')['b']['c'][0]]", "\"x\"");
	check(x, "[variables('obj').B.C[0]]", "\"x\"");
	check(x, "[variables('subnets')]", "[{\"name\":\"s0\",\"prefix\":\"10.0.0.0/24\"},{\"name\":\"s1\",\"prefix\":\"10.0.1.0/24\"}]");
	check(x, "[variables('subnets')[1].name]", "\"s1\"");
	check_err(x, "[parameters('nodefault')]", "parameter 'nodefault' has no value and no default");
	check_err(x, "[parameters('bad')]", "'z' is not one of its allowedValues");
	check_err(x, "[parameters('nope')]", "declares no such parameter");
	check_err(x, "[variables('nope')]", "defines no such variable");
	check_err(x, "[variables('loop1')]", "defined in terms of itself");
	check_err(x, "[variables('obj').zz]", "the object has no property 'zz'");
	check_err(x, "[variables('obj').b.c[2]]", "index 2 is outside the array of 2");
	check_err(x, "[parameters('prefix').x]", "a string has no properties");
}

static void test_strings(void **state)
{
	struct ax_ctx *x = &((struct fix *)*state)->x;

	check(x, "[concat('a', 1, 'b', true())]", "\"a1bTrue\"");
	check(x, "[concat(createArray(1, 2), createArray(3))]", "[1,2,3]");
	check(x, "[format('{0}-{1}', 'web', 3)]", "\"web-3\"");
	check(x, "[format('{{literal}} {0:D3}', 7)]", "\"{literal} 007\"");
	check(x, "[format('{0,4}|{0,-4}|', 'ab')]", "\"  ab|ab  |\"");
	check(x, "[format('{0:X}', 255)]", "\"FF\"");
	check_err(x, "[format('{1}', 'a')]", "names an argument that is not there");
	check_err(x, "[format('{0:yyyy}', 1)]", "the format 'yyyy' is not supported");
	check(x, "[string(5)]", "\"5\"");
	check(x, "[string(true())]", "\"True\"");
	check(x, "[string(createArray('a', 1))]", "\"[\\\"a\\\",1]\"");
	check(x, "[toLower('AbC')]", "\"abc\"");
	check(x, "[toUpper('AbC')]", "\"ABC\"");
	check(x, "[split('a,b;c', createArray(',', ';'))]", "[\"a\",\"b\",\"c\"]");
	check(x, "[split('a,,b', ',')]", "[\"a\",\"\",\"b\"]");
	check(x, "[split('', ',')]", "[\"\"]");
	check(x, "[replace('10.0.0.0/16', '/16', '/24')]", "\"10.0.0.0/24\"");
	check(x, "[replace('aaa', 'a', 'bb')]", "\"bbbbbb\"");
	check(x, "[length('héllo')]", "5");
	check(x, "[trim('  x ')]", "\"x\"");
	check(x, "[substring('hello', 1, 3)]", "\"ell\"");
	check(x, "[substring('hello', 2)]", "\"llo\"");
	check_err(x, "[substring('hello', 4, 3)]", "are beyond 'hello'");
	check(x, "[take('hello', 2)]", "\"he\"");
	check(x, "[skip('hello', 2)]", "\"llo\"");
	check(x, "[startsWith('Hello', 'he')]", "true");
	check(x, "[endsWith('Hello', 'LO')]", "true");
	check(x, "[indexOf('abcabc', 'c')]", "2");
	check(x, "[lastIndexOf('abcabc', 'c')]", "5");
	check(x, "[indexOf('abc', 'z')]", "-1");
	check(x, "[padLeft('7', 3, '0')]", "\"007\"");
	check(x, "[first('abc')]", "\"a\"");
	check(x, "[last('abc')]", "\"c\"");
	check(x, "[contains('OneTwo', 'Two')]", "true");
	check(x, "[empty('')]", "true");
	check(x, "[base64('one, two, three')]", "\"b25lLCB0d28sIHRocmVl\"");
	check(x, "[json('{\"a\": [1]}').a[0]]", "1");
	check_err(x, "[json('{')]", "is not valid JSON");
	check_err(x, "[toLower(1)]", "toLower(): argument 1 must be a string, found an integer");
}

static void test_unique_string(void **state)
{
	struct ax_ctx *x = &((struct fix *)*state)->x;
	/* Values Azure gives (the same in Bicep), as recorded by public reimplementations' tests. */
	check(x, "[uniqueString('test')]", "\"rbgf3xv4ufgzg\"");
	check(x, "[uniqueString('hello', 'world')]", "\"a7wkljktk6wne\"");
	check(x, "[uniqueString('abc')]", "\"cgtzqvhu4i23s\"");
	check(x, "[uniqueString('foo', 'bar', 'baz')]", "\"xzi4ioaxtmth4\"");
	check(x, "[uniqueString('/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/my-rg')]",
	      "\"bmg7c6xu4tw46\"");
	check(x, "[length(uniqueString(resourceGroup().id))]", "13");
	check_err(x, "[uniqueString(1)]", "must be a string");
}

static void test_logic_numbers(void **state)
{
	struct ax_ctx *x = &((struct fix *)*state)->x;

	check(x, "[if(equals(parameters('prefix'), 'app'), 'yes', 'no')]", "\"yes\"");
	check(x, "[if(false(), parameters('nodefault'), 'lazy')]", "\"lazy\"");
	check(x, "[if(true(), 'lazy', variables('nope'))]", "\"lazy\"");
	check_err(x, "[if('yes', 1, 2)]", "the condition must be a boolean");
	check(x, "[equals(createArray(1, 'a'), createArray(1, 'a'))]", "true");
	check(x, "[equals('a', 'A')]", "false");
	check(x, "[not(equals(1, 2))]", "true");
	check(x, "[and(true(), true(), false())]", "false");
	check(x, "[or(false(), true())]", "true");
	check(x, "[bool('True')]", "true");
	check(x, "[bool(0)]", "false");
	check(x, "[int('42')]", "42");
	check_err(x, "[int('4x')]", "'4x' is not an integer");
	check(x, "[add(1, 2)]", "3");
	check(x, "[sub(1, 2)]", "-1");
	check(x, "[mul(6, 7)]", "42");
	check(x, "[div(7, 2)]", "3");
	check(x, "[div(-7, 2)]", "-3");
	check(x, "[mod(7, 3)]", "1");
	check_err(x, "[div(1, 0)]", "division by zero");
	check(x, "[min(3, 1, 2)]", "1");
	check(x, "[max(createArray(3, 9, 2))]", "9");
	check(x, "[greater(2, 1)]", "true");
	check(x, "[lessOrEquals('a', 'b')]", "true");
	check(x, "[add(parameters('count'), length(variables('subnets')))]", "5");
	check(x, "[coalesce(null(), 'x')]", "\"x\"");
	check(x, "[range(5, 3)]", "[5,6,7]");
}

static void test_collections(void **state)
{
	struct ax_ctx *x = &((struct fix *)*state)->x;

	check(x, "[createArray('a', 1, createArray(2))]", "[\"a\",1,[2]]");
	check(x, "[length(createArray())]", "0");
	check(x, "[array('a')]", "[\"a\"]");
	check(x, "[createObject('a', 1, 'b', createArray(2))]", "{\"a\":1,\"b\":[2]}");
	check(x, "[union(createArray(1, 2), createArray(2, 3))]", "[1,2,3]");
	check(x, "[union(createObject('a', 1, 'o', createObject('x', 1)), createObject('a', 2, 'o', createObject('y', 2)))]",
	      "{\"a\":2,\"o\":{\"x\":1,\"y\":2}}");
	check(x, "[intersection(createArray(1, 2, 3), createArray(3, 2))]", "[2,3]");
	check(x, "[first(createArray('x', 'y'))]", "\"x\"");
	check(x, "[last(createArray('x', 'y'))]", "\"y\"");
	check(x, "[first(createArray())]", "null");
	check(x, "[take(createArray(1, 2, 3), 2)]", "[1,2]");
	check(x, "[skip(createArray(1, 2, 3), 2)]", "[3]");
	check(x, "[contains(createArray('a'), 'a')]", "true");
	check(x, "[contains(createObject('Key', 1), 'key')]", "true");
	check(x, "[length(variables('obj'))]", "2");
	check_err(x, "[union(createArray(1), createObject())]", "must be an array, as the first one is");
}

static void test_ids_and_deployment(void **state)
{
	struct ax_ctx *x = &((struct fix *)*state)->x;

	check(x, "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg1')]",
	      "\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/nsg1\"");
	check(x, "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet1', 'web')]",
	      "\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/web\"");
	check(x, "[resourceId('otherRg', 'Microsoft.Network/routeTables', 'rt')]",
	      "\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/otherRg/providers/Microsoft.Network/routeTables/rt\"");
	check(x, "[resourceId('sub2', 'rg2', 'Microsoft.Network/routeTables', 'rt')]",
	      "\"/subscriptions/sub2/resourceGroups/rg2/providers/Microsoft.Network/routeTables/rt\"");
	check_err(x, "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet1')]", "takes 2 names, 1 given");
	/* Written so in Azure's own quickstarts (nic-publicip-dns-vnet), and deployed by ARM. */
	check(x, "[resourceId('Microsoft.Network/publicIPAddresses/', 'pip')]",
	      "\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1/providers/Microsoft.Network/publicIPAddresses/pip\"");
	check(x, "[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r')]",
	      "\"/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.Authorization/roleDefinitions/r\"");
	check(x, "[subscription().subscriptionId]", "\"00000000-0000-0000-0000-000000000001\"");
	check(x, "[resourceGroup().name]", "\"rg1\"");
	check(x, "[resourceGroup().id]", "\"/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg1\"");
	check(x, "[deployment().name]", "\"dep1\"");
	check(x, "[environment().suffixes.storage]", "\"core.windows.net\"");
}

static void test_cidr(void **state)
{
	struct ax_ctx *x = &((struct fix *)*state)->x;

	/* The documented examples. */
	check(x, "[parseCidr('10.144.0.0/20')]",
	      "{\"network\":\"10.144.0.0\",\"netmask\":\"255.255.240.0\",\"broadcast\":\"10.144.15.255\",\"firstUsable\":\"10.144.0.1\","
	      "\"lastUsable\":\"10.144.15.254\",\"cidr\":20}");
	check(x, "[parseCidr('fdad:3236:5555::/48')]",
	      "{\"network\":\"fdad:3236:5555::\",\"netmask\":\"ffff:ffff:ffff::\",\"firstUsable\":\"fdad:3236:5555::\","
	      "\"lastUsable\":\"fdad:3236:5555:ffff:ffff:ffff:ffff:ffff\",\"cidr\":48}");
	check(x, "[cidrSubnet('10.144.0.0/20', 24, 3)]", "\"10.144.3.0/24\"");
	check(x, "[cidrSubnet('fdad:3236:5555::/48', 52, 1)]", "\"fdad:3236:5555:1000::/52\"");
	check(x, "[cidrHost('10.144.3.0/24', 3)]", "\"10.144.3.4\"");
	check(x, "[cidrHost('fdad:3236:5555:3000::/52', 0)]", "\"fdad:3236:5555:3000::1\"");
	check_err(x, "[cidrSubnet('10.0.0.0/24', 26, 4)]", "has no /26 number 4");
	check_err(x, "[cidrSubnet('10.0.0.0/24', 16, 0)]", "a /16 is not inside");
	check_err(x, "[cidrHost('10.0.0.0/30', 2)]", "has no usable host number 2");
	check_err(x, "[parseCidr('10.0.0.1')]", "is not a network in CIDR notation");
}

static void test_unsupported_and_values(void **state)
{
	struct fix *f = *state;
	struct ax_ctx *x = &f->x;
	struct nws_err err = { { 0 } };

	check_err(x, "[reference('x').ipAddress]", "the template function 'reference' is not supported by nwsim");
	check_err(x, "[listKeys('a', '2019-01-01')]", "'listKeys' is not supported");
	/* Inside the branch not taken, even an unknown function is only parsed. */
	check(x, "[if(true(), 1, reference('x'))]", "1");
	check_err(x, "[concat(reference('x'))]", "reference");

	/* A whole value: strings evaluated at any depth, property copy expanded, errors with the path. */
	cJSON *in = cJSON_Parse("{\"name\": \"[variables('nsgName')]\", \"properties\": {\"copy\": [{\"name\": \"securityRules\","
				"\"count\": \"[parameters('count')]\", \"input\": {\"name\": \"[concat('r', copyIndex('securityRules', 1))]\","
				"\"priority\": \"[add(100, copyIndex('securityRules'))]\"}}], \"flag\": true}}");
	cJSON *out = ax_value(x, in, &err);

	assert_non_null(out);
	char *s = cJSON_PrintUnformatted(out);

	assert_string_equal(s, "{\"name\":\"app-nsg\",\"properties\":{\"securityRules\":[{\"name\":\"r1\",\"priority\":100},"
			       "{\"name\":\"r2\",\"priority\":101},{\"name\":\"r3\",\"priority\":102}],\"flag\":true}}");
	free(s);
	cJSON_Delete(out);
	cJSON_Delete(in);

	in = cJSON_Parse("{\"properties\": {\"rules\": [{\"x\": 1}, {\"y\": \"[reference('ip').ipAddress]\"}]}}");
	assert_null(ax_value(x, in, &err));
	assert_string_equal(err.msg, "properties.rules[1].y: '[reference('ip').ipAddress]': the template function 'reference' is "
				     "not supported by nwsim");
	cJSON_Delete(in);

	/* A resource's copy loop is what copyIndex() without a name counts. */
	assert_int_equal(ax_loop_push(x, "nics", 4, true, &err), 0);
	check(x, "[concat('nic', copyIndex())]", "\"nic4\"");
	check(x, "[copyIndex(10)]", "14");
	check(x, "[copyIndex('nics')]", "4");
	check_err(x, "[copyIndex('other')]", "no copy loop of that name");
	ax_loop_pop(x);
	check_err(x, "[copyIndex()]", "not inside a copy loop");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_literals_and_quoting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parameters_variables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_strings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unique_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logic_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ids_and_deployment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cidr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_and_values, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
