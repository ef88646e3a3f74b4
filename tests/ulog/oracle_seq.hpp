// SPDX-License-Identifier: GPL-2.0-only
// Reads an oracle .seq file (../shared/oracle/ulog/*.seq): the requests as "TYPE Ln" (logs
// numbered by first appearance) and the commands that caused them ("### $ ..." lines).
// Parsed by hand: std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.
#pragma once

#include <cctype>
#include <istream>
#include <sstream>
#include <string>
#include <vector>

namespace dmemu::oracle {

struct OracleSeq {
    std::vector<std::string> requests;  // "CTR L1", "GET_REGION_SIZE L1", ...
    std::vector<std::string> commands;  // "dmsetup create um --table '...'", "dd ...", ...
};

inline OracleSeq parse_oracle_seq(std::istream& in) {
    OracleSeq out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("### $ ", 0) == 0) {
            out.commands.push_back(line.substr(6));
            continue;
        }
        if (line.rfind("REQ ", 0) != 0) continue;
        std::istringstream words(line);
        std::string word, type, log;
        while (words >> word) {
            if (word.rfind("type=", 0) == 0) type = word.substr(5, word.find('(') - 5);
            if (word.size() > 1 && word[0] == 'L' &&
                std::isdigit(static_cast<unsigned char>(word[1])))
                log = word;
        }
        out.requests.push_back(type + " " + log);
    }
    return out;
}

}  // namespace dmemu::oracle
