/*
 * A main() for the harnesses without libFuzzer: runs every file of the directories (or the
 * files) given, once each. The test suite runs the seed corpus and the regression inputs
 * through it with gcc, and under ASan and UBSan in the sanitizer pass.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	/* Exactly len bytes, so that ASan sees a read past the input's end. */
	buf = malloc(len ? (size_t)len : 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: cannot read\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	unsigned long n = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: no such file or directory\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (run_file(argv[i]) < 0)
				return 1;
			n++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		char **names = NULL;
		size_t nn = 0;

		if (!d) {
			fprintf(stderr, "%s: cannot open\n", argv[i]);
			return 1;
		}
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				char **grown = realloc(names, (nn + 1) * sizeof(*names));
				size_t len = strlen(argv[i]) + strlen(e->d_name) + 2;

				if (!grown || !(grown[nn] = malloc(len)))
					return 1;
				names = grown;
				snprintf(names[nn++], len, "%s/%s", argv[i], e->d_name);
			}
		closedir(d);
		qsort(names, nn, sizeof(*names), cmp);
		for (size_t k = 0; k < nn; k++) {
			if (run_file(names[k]) < 0)
				return 1;
			free(names[k]);
			n++;
		}
		free(names);
	}
	printf("%lu inputs ran\n", n);
	return n ? 0 : 1;
}
